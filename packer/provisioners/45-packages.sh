#!/usr/bin/env bash
# Installs the project's extra packages ("bake.packages"; AMI_EXTRA_PACKAGES, space-separated
# Debian or RPM names), only those not installed yet. See 10-git.sh for what all provisioners share.
set -euo pipefail

log() { printf '%s 45-packages: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*"; }
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
