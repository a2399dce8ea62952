#!/usr/bin/env bash
# Installs the first-boot launcher from the uploaded launcher/ folder (AMI_LAUNCHER_SRC):
#   /opt/ami-pipeline/first-boot                      the script (0755)
#   /opt/ami-pipeline/lib/*.sh                        the libraries it sources (0644)
#   /etc/systemd/system/ami-first-boot.service        the unit, enabled for multi-user.target
#   /etc/ami-pipeline/env                             AMI_SSM_PREFIX=<prefix>
# and the tools the script needs beyond git and the AWS CLI: curl and jq (the run configuration is
# JSON and the base images do not all carry a JSON parser). lib.sh has what all
# provisioners share.
set -euo pipefail

PROVISIONER=50-launcher
# shellcheck source=lib.sh
. "${AMI_PROVISIONER_LIB:-$(dirname "${BASH_SOURCE[0]}")/lib.sh}"

root="${AMI_ROOT:-}"
src="${AMI_LAUNCHER_SRC:-/tmp/ami-pipeline-launcher}"
prefix="${AMI_SSM_PREFIX:-}"
readonly UNIT=ami-first-boot.service
# The same rule as the CLI's --ssm-prefix.
readonly PREFIX_PATTERN='^(/[A-Za-z0-9_.-]+)+$'

if [[ ! "$prefix" =~ $PREFIX_PATTERN ]] || [[ "${prefix,,}" == /aws* ]] || [[ "${prefix,,}" == /ssm* ]]; then
  log "error: AMI_SSM_PREFIX '$prefix' is not a parameter path like /ami-pipeline (not under /aws or /ssm)"
  exit 1
fi
for file in first-boot "$UNIT"; do
  if [[ ! -f "$src/$file" ]]; then
    log "error: $src/$file is missing: the template uploads the repository's launcher/ folder to $src"
    exit 1
  fi
done
if ! compgen -G "$src/lib/*.sh" >/dev/null; then
  log "error: $src/lib/ has no libraries: the template uploads the repository's launcher/ folder, lib/ included"
  exit 1
fi

# Commands, not packages: Amazon Linux has curl from curl-minimal.
missing=()
for tool in curl jq; do
  command -v "$tool" >/dev/null || missing+=("$tool")
done
if ((${#missing[@]} > 0)); then
  log "installing ${missing[*]} for first-boot"
  install_packages "${missing[@]}"
fi

install -D -m 0755 "$src/first-boot" "$root/opt/ami-pipeline/first-boot"
# Replaced whole, so a library an older launcher had does not linger.
rm -rf "$root/opt/ami-pipeline/lib"
install -D -m 0644 -t "$root/opt/ami-pipeline/lib" "$src"/lib/*.sh
install -D -m 0644 "$src/$UNIT" "$root/etc/systemd/system/$UNIT"
install -d -m 0755 "$root/etc/ami-pipeline"
printf 'AMI_SSM_PREFIX=%s\n' "$prefix" >"$root/etc/ami-pipeline/env"
chmod 0644 "$root/etc/ami-pipeline/env"
log "installed /opt/ami-pipeline/first-boot and $UNIT; SSM prefix $prefix"

if [[ -n "$root" ]]; then
  systemctl --root="$root" --quiet enable "$UNIT"
else
  systemctl --quiet enable "$UNIT"
fi
log "enabled $UNIT (wanted by multi-user.target)"

# cloud-init reads the user-data too. Ours is one line, AMI_PROJECT=<project>, for first-boot,
# which reads it itself over IMDSv2: it is neither cloud-config nor a script, and cloud-init must
# not try to run it (23.4 and later would end "degraded", and `cloud-init status` exit 2). Written
# whether or not cloud-init is installed yet, so that a later install finds it.
readonly CLOUD_CFG=/etc/cloud/cloud.cfg.d/99-ami-pipeline.cfg
install -d -m 0755 "$root${CLOUD_CFG%/*}"
cat >"$root$CLOUD_CFG" <<'CFG'
# Written by ami-pipeline (packer/provisioners/50-launcher.sh). The user-data of this image's
# instances, AMI_PROJECT=<project>, is for the ami-first-boot unit, which reads it itself over
# IMDSv2; cloud-init must not try to run it. Cloud-config for this image belongs in its bake.
allow_userdata: false
CFG
chmod 0644 "$root$CLOUD_CFG"
log "wrote $CLOUD_CFG: cloud-init leaves the user-data to first-boot"
