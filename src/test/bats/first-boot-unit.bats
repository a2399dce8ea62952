#!/usr/bin/env bats
# launcher/ami-first-boot.service as an image has it: installed by 50-launcher.sh into a root that
# also holds this machine's systemd units and a cloud-init final stage, then checked with
# systemd-analyze verify. verify exits 0 on unknown keys and on ordering cycles, so its debug
# output is searched for them.

bats_require_minimum_version 1.5.0

setup() {
  repo="$(cd "$BATS_TEST_DIRNAME/../../.." && pwd)"
  root="$BATS_TEST_TMPDIR/root"
  mkdir -p "$root/etc" "$root/usr/lib/systemd"
  printf 'ID=debian\n' >"$root/etc/os-release"
  cp -r /lib/systemd/system "$root/usr/lib/systemd/"
  # cloud-init's final stage as cloud-init ships it: ordered after multi-user.target.
  cat >"$root/usr/lib/systemd/system/cloud-final.service" <<'UNIT'
[Unit]
Description=Cloud-init: Final Stage
After=network-online.target cloud-config.service rc-local.service
After=multi-user.target
Wants=network-online.target

[Service]
Type=oneshot
ExecStart=/bin/true
RemainAfterExit=yes

[Install]
WantedBy=multi-user.target
UNIT
  mkdir -p "$root/etc/systemd/system/multi-user.target.wants"
  ln -s /usr/lib/systemd/system/cloud-final.service "$root/etc/systemd/system/multi-user.target.wants/"
  AMI_ROOT="$root" AMI_SSM_PREFIX=/ami-pipeline AMI_LAUNCHER_SRC="$repo/launcher" \
    bash "$repo/packer/provisioners/50-launcher.sh" >/dev/null
  unit="$root/etc/systemd/system/ami-first-boot.service"
}

# Verifies the installed unit and the boot transaction of multi-user.target, which pulls it in.
verify() {
  SYSTEMD_LOG_LEVEL=debug systemd-analyze --root="$root" verify \
    /etc/systemd/system/ami-first-boot.service /usr/lib/systemd/system/multi-user.target 2>&1
}

findings() {
  grep -E 'Unknown (key|section|lvalue)|ordering cycle|is not executable|ami-first-boot\.service:[0-9]+:' || true
}

@test "the unit passes systemd-analyze verify: no unknown keys, no ordering cycle" {
  run -0 verify
  [ -z "$(findings <<<"$output")" ]
  # The boot really schedules it.
  [[ "$output" == *"Installed new job ami-first-boot.service/start"* ]]
  [[ "$output" != *"Job ami-first-boot.service/start deleted"* ]]
}

@test "the check catches an unknown key" {
  sed -i 's/^Restart=no$/Restart=no\nRestartOnSuccess=yes/' "$unit"
  run -0 verify
  [[ "$(findings <<<"$output")" == *"Unknown key 'RestartOnSuccess' in section [Service]"* ]]
}

@test "without After=multi-user.target, cloud-init's final stage makes an ordering cycle" {
  sed -i 's/^After=network-online.target cloud-final.service multi-user.target$/After=network-online.target cloud-final.service/' "$unit"
  run -0 verify
  [[ "$(findings <<<"$output")" == *"Found ordering cycle"* ]]
}

@test "the unit's condition names the stamp that the installed first-boot honours" {
  stamp="$(sed -n 's/^ConditionPathExists=!//p' "$unit")"
  [ "$stamp" = /var/lib/ami-pipeline/done ]
  mkdir -p "$root${stamp%/*}"
  echo "2026-01-01T00:00:00Z exited" >"$root$stamp"
  # Port 9 (discard) answers nothing: the script must not need the metadata service to decide.
  AMI_ROOT="$root" AMI_IMDS_ENDPOINT=http://127.0.0.1:9 AMI_CONSOLE="$BATS_TEST_TMPDIR/console" \
    run -0 "$root/opt/ami-pipeline/first-boot"
  [[ "$output" == *"the job already finished on an earlier boot (2026-01-01T00:00:00Z exited); nothing to do"* ]]
}

@test "the unit's TimeoutStopSec is the stop timeout first-boot fits the job's grace and its last uploads into" {
  timeout="$(sed -n 's/^TimeoutStopSec=//p' "$unit")"
  planned="$(sed -n 's/^STOP_TIMEOUT_SECONDS=//p' "$root/opt/ami-pipeline/lib/job.sh")"
  [ -n "$planned" ]
  [ "$timeout" = "$planned" ]
  # The job's grace (90 s by default) leaves time for the uploads.
  ((timeout - 90 >= 30))
}

@test "shellcheck passes on every script and library in launcher/ and packer/provisioners/" {
  cd "$repo"
  mapfile -t scripts < <({ grep -rlE '^#!.*(bash|sh)' launcher packer/provisioners; find launcher packer/provisioners -name '*.sh'; } | sort -u)
  [ "${#scripts[@]}" -ge 17 ]
  [[ " ${scripts[*]} " == *" launcher/lib/imds.sh "* ]]
  run -0 shellcheck "${scripts[@]}"
}
