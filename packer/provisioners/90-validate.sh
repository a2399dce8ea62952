#!/usr/bin/env bash
# Fails the bake when the image would not work or is not clean: the launcher is installed (with
# its libraries) and enabled with the right SSM prefix, first-boot's tools are there, cloud-init
# leaves the user-data to first-boot, and 80-cleanup.sh left nothing of the builder behind. Lists
# every problem, then exits 1 if there was one. lib.sh has what all provisioners share.
set -euo pipefail

PROVISIONER=90-validate
# shellcheck source=lib.sh
. "${AMI_PROVISIONER_LIB:-$(dirname "${BASH_SOURCE[0]}")/lib.sh}"

root="${AMI_ROOT:-}"
readonly UNIT=ami-first-boot.service
problems=0
problem() {
  log "problem: $*"
  problems=$((problems + 1))
}

# The launcher.
if [[ -x "$root/opt/ami-pipeline/first-boot" ]]; then
  # Sourced, first-boot loads its libraries from lib/ beside it and runs nothing.
  # shellcheck disable=SC2016 # $1 is expanded by the inner bash
  if ! loaded="$(env -u AMI_LAUNCHER_LIB bash -c 'source "$1"' first-boot "$root/opt/ami-pipeline/first-boot" 2>&1)"; then
    problem "/opt/ami-pipeline/first-boot cannot load its libraries from /opt/ami-pipeline/lib: ${loaded##*$'\n'}"
  fi
else
  problem "/opt/ami-pipeline/first-boot is missing or not executable"
fi
[[ -f "$root/etc/systemd/system/$UNIT" ]] || problem "/etc/systemd/system/$UNIT is missing"
if [[ -n "$root" ]]; then
  enabled="$(systemctl --root="$root" is-enabled "$UNIT" 2>/dev/null || true)"
else
  enabled="$(systemctl is-enabled "$UNIT" 2>/dev/null || true)"
fi
[[ "$enabled" == enabled ]] || problem "$UNIT is not enabled (is-enabled: ${enabled:-unknown})"
expected="AMI_SSM_PREFIX=${AMI_SSM_PREFIX:-}"
grep -qxF "$expected" "$root/etc/ami-pipeline/env" 2>/dev/null ||
  problem "/etc/ami-pipeline/env does not say $expected"
for tool in bash curl jq git aws setsid setpriv; do
  command -v "$tool" >/dev/null || problem "first-boot needs $tool, which the image lacks"
done

# cloud-init leaves the user-data to first-boot (50-launcher.sh); cloud-init reads the files of
# cloud.cfg.d in name order, so a later one must not set it back.
readonly CLOUD_CFG=/etc/cloud/cloud.cfg.d/99-ami-pipeline.cfg
if [[ ! -f "$root$CLOUD_CFG" ]]; then
  problem "$CLOUD_CFG is missing: cloud-init would try to run the user-data"
elif ! grep -qE '^allow_userdata:[[:space:]]*false[[:space:]]*$' "$root$CLOUD_CFG"; then
  problem "$CLOUD_CFG does not say allow_userdata: false"
fi
for cfg in "$root${CLOUD_CFG%/*}"/*.cfg; do
  if [[ "${cfg##*/}" > "${CLOUD_CFG##*/}" ]] && grep -qE '^allow_userdata:' "$cfg"; then
    problem "${cfg#"$root"} sets allow_userdata after $CLOUD_CFG"
  fi
done

# What 80-cleanup.sh removes.
[[ ! -s "$root/etc/machine-id" ]] || problem "/etc/machine-id is not empty"
for key in "$root"/etc/ssh/ssh_host_*; do
  [[ -e "$key" ]] && problem "SSH host key left: ${key#"$root"}"
done
if [[ -d "$root/var/lib/cloud" ]]; then
  while IFS= read -r left; do
    problem "cloud-init state left: ${left#"$root"}"
  done < <(find "$root/var/lib/cloud" -mindepth 1 -maxdepth 1 ! -name seed)
fi
if [[ -d "$root/var/log" ]]; then
  while IFS= read -r left; do
    problem "rotated log left: ${left#"$root"}"
  done < <(find "$root/var/log" -type f \( -name '*.gz' -o -name '*.xz' -o -name '*.[0-9]' -o -name '*.old' \))
fi
for history in "$root"/root/.bash_history "$root"/home/*/.bash_history; do
  [[ -e "$history" ]] && problem "shell history left: ${history#"$root"}"
done
# A stamp in the image would make every instance skip its job.
for state in "$root/var/lib/ami-pipeline" "$root/var/log/ami-pipeline"; do
  [[ -e "$state" ]] && problem "ami-pipeline run state left: ${state#"$root"}"
done

if ((problems > 0)); then
  log "$problems problem(s): the image is not ready"
  exit 1
fi
log "the image is ready: $UNIT enabled, builder state cleaned up"
