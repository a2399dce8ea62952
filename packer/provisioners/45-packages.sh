#!/usr/bin/env bash
# Installs the project's extra packages ("bake.packages"; AMI_EXTRA_PACKAGES, space-separated
# Debian or RPM names), only those not installed yet. lib.sh has what all provisioners share.
set -euo pipefail

PROVISIONER=45-packages
# shellcheck source=lib.sh
. "${AMI_PROVISIONER_LIB:-$(dirname "${BASH_SOURCE[0]}")/lib.sh}"

# A package name, optionally pinned (apt: name=version): never an option or shell syntax.
readonly NAME_PATTERN='^[A-Za-z0-9][A-Za-z0-9.+_:~=-]*$'

read -r -a requested <<<"${AMI_EXTRA_PACKAGES:-}"
if ((${#requested[@]} == 0)); then
  log "skipped: the project asks for no extra packages"
  exit 0
fi
for name in "${requested[@]}"; do
  if [[ ! "$name" =~ $NAME_PATTERN ]]; then
    log "error: '$name' is not a package name; nothing installed"
    exit 1
  fi
done
missing=()
for name in "${requested[@]}"; do
  installed "$name" || missing+=("$name")
done
if ((${#missing[@]} == 0)); then
  log "already installed: ${requested[*]}"
  exit 0
fi
log "installing ${missing[*]}"
install_packages "${missing[@]}"
log "installed ${missing[*]}"
