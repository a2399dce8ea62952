#!/usr/bin/env bash
# Installs the AWS CLI when the image has none: first-boot reads SSM and writes S3 with it.
# Amazon Linux 2023 has it as a package (awscli-2), and so has Debian 12 (awscli, the AWS CLI v2
# in main); on Ubuntu the AWS CLI v2 comes from AWS's installer (Ubuntu 24.04 no longer packages
# it), into /usr/local. lib.sh has what all provisioners share.
set -euo pipefail

PROVISIONER=40-awscli
# shellcheck source=lib.sh
. "${AMI_PROVISIONER_LIB:-$(dirname "${BASH_SOURCE[0]}")/lib.sh}"

root="${AMI_ROOT:-}"
installer_url="${AMI_AWSCLI_URL:-https://awscli.amazonaws.com/awscli-exe-linux-$(uname -m).zip}"

if command -v aws >/dev/null; then
  log "the AWS CLI is already installed: $(aws --version 2>&1)"
  exit 0
fi
case "$ID" in
  amzn) package=awscli-2 ;;
  debian) package=awscli ;;
  *) package="" ;;
esac
if [[ -n "$package" ]]; then
  log "installing $package"
  install_packages "$package"
  log "installed $(aws --version 2>&1)"
  exit 0
fi

tools=()
for package in curl unzip ca-certificates; do
  installed "$package" || tools+=("$package")
done
if ((${#tools[@]} > 0)); then
  log "installing ${tools[*]} for the AWS CLI installer"
  install_packages "${tools[@]}"
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
log "downloading the AWS CLI v2 installer from $installer_url"
curl -fsSL --retry 3 -o "$work/awscli.zip" "$installer_url"
unzip -q "$work/awscli.zip" -d "$work"
"$work/aws/install" --update --install-dir "$root/usr/local/aws-cli" --bin-dir "$root/usr/local/bin"
log "installed $("$root/usr/local/bin/aws" --version 2>&1)"
