#!/usr/bin/env bash
# Installs git when the project asks for it ("bake.git") and the image lacks it; first-boot clones
# the project's repository with it.
#
# Every provisioner runs as root on the builder, alone (Packer uploads each script by itself, so
# each carries its few helpers). The OS comes from /etc/os-release: apt on Ubuntu and Debian, dnf
# on Amazon Linux 2023. AMI_ROOT (default empty = /) prefixes the files a script reads or writes,
# for tests; package managers always act on the running system.
set -euo pipefail

log() { printf '%s 10-git: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*"; }
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
