# shellcheck shell=bash
# What every provisioner shares; sourced, never run. Packer uploads this file with the launcher and
# passes its path as AMI_PROVISIONER_LIB; run in place (tests) it is found beside the script.
#
# Every provisioner runs as root on the builder. The OS comes from /etc/os-release: apt on Ubuntu
# and Debian, dnf on Amazon Linux 2023. AMI_ROOT (default empty = /) prefixes the files a script
# reads or writes, for tests; package managers always act on the running system.
# The sourcing script sets PROVISIONER (its name, for log lines) first.

log() { printf '%s %s: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "${PROVISIONER:-provisioner}" "$*"; }

if [[ -r "${AMI_ROOT:-}/etc/os-release" ]]; then
  # shellcheck source=/dev/null
  . "${AMI_ROOT:-}/etc/os-release"
else
  ID=unknown
  export PRETTY_NAME="an OS without /etc/os-release"
fi

# installed PACKAGE: true when the package manager has it installed.
installed() {
  case "$ID" in
    amzn) rpm -q "$1" >/dev/null 2>&1 ;;
    *) dpkg-query -W -f='${Status}\n' "$1" 2>/dev/null | grep -q ' installed$' ;;
  esac
}

# install_packages PACKAGE...: installs with the OS's package manager, after cloud-init is done
# (it may hold the package lock on first boot of the builder).
install_packages() {
  command -v cloud-init >/dev/null && { cloud-init status --wait >/dev/null 2>&1 || true; }
  case "$ID" in
    ubuntu | debian)
      apt-get -qq update &&
        DEBIAN_FRONTEND=noninteractive apt-get -qq -o DPkg::Lock::Timeout=600 install -y --no-install-recommends "$@"
      ;;
    amzn) dnf -q -y install "$@" ;;
    *)
      log "error: unsupported OS '$ID' (Ubuntu 22.04/24.04, Debian 12, Amazon Linux 2023)"
      return 1
      ;;
  esac
}
