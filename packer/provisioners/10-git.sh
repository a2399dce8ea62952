#!/usr/bin/env bash
# Installs git when the project asks for it ("bake.git") and the image lacks it; first-boot clones
# the project's repository with it.
# lib.sh has what all provisioners share.
set -euo pipefail

PROVISIONER=10-git
# shellcheck source=lib.sh
. "${AMI_PROVISIONER_LIB:-$(dirname "${BASH_SOURCE[0]}")/lib.sh}"

if [[ "${AMI_INSTALL_GIT:-true}" != true ]]; then
  log "skipped: the project does not ask for git"
  exit 0
fi
if installed git; then
  log "git is already installed"
  exit 0
fi
log "installing git"
install_packages git
log "installed $(git --version)"
