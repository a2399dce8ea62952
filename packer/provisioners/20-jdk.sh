#!/usr/bin/env bash
# Installs the JDK of the project's version ("bake.jdk"; AMI_JDK_VERSION, 0 = none): OpenJDK
# headless on Ubuntu and Debian, Amazon Corretto on Amazon Linux 2023. lib.sh has what all
# provisioners share.
set -euo pipefail

PROVISIONER=20-jdk
# shellcheck source=lib.sh
. "${AMI_PROVISIONER_LIB:-$(dirname "${BASH_SOURCE[0]}")/lib.sh}"

version="${AMI_JDK_VERSION:-17}"
if [[ ! "$version" =~ ^[0-9]+$ ]]; then
  log "error: AMI_JDK_VERSION '$version' is not a JDK feature version such as 17 or 21 (0 = no JDK)"
  exit 1
fi
if ((version == 0)); then
  log "skipped: the project asks for no JDK"
  exit 0
fi
case "$ID" in
  amzn) package="java-$version-amazon-corretto-devel" ;;
  *) package="openjdk-$version-jdk-headless" ;;
esac
if installed "$package"; then
  log "$package is already installed"
  exit 0
fi
log "installing $package"
install_packages "$package" || {
  log "error: installing $package failed: is JDK $version packaged for $PRETTY_NAME?"
  exit 1
}
log "installed $package"
