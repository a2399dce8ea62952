#!/usr/bin/env bash
# Installs the JDK of the project's version ("bake.jdk"; AMI_JDK_VERSION, 0 = none): OpenJDK
# headless on Ubuntu and Debian, Amazon Corretto on Amazon Linux 2023. See 10-git.sh for what all
# provisioners share.
set -euo pipefail

log() { printf '%s 20-jdk: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*"; }
# shellcheck source=/dev/null
. "${AMI_ROOT:-}/etc/os-release"
installed() { case "$ID" in amzn) rpm -q "$1" >/dev/null 2>&1 ;; *) dpkg-query -W -f='${Status}\n' "$1" 2>/dev/null | grep -q ' installed$' ;; esac; }
install_packages() {
  command -v cloud-init >/dev/null && { cloud-init status --wait >/dev/null 2>&1 || true; }
  case "$ID" in
    ubuntu | debian) apt-get -qq update && DEBIAN_FRONTEND=noninteractive apt-get -qq -o DPkg::Lock::Timeout=600 install -y --no-install-recommends "$@" ;;
    amzn) dnf -q -y install "$@" ;;
    *) log "error: unsupported OS '$ID' (Ubuntu 22.04/24.04, Debian 12, Amazon Linux 2023)"; return 1 ;;
  esac
}

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
