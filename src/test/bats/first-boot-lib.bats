#!/usr/bin/env bats
# launcher/lib/ one function at a time, sourced through launcher/first-boot (whose main does not
# run when sourced): the metadata service (token refresh, spot notice), the user-data, SSM reads
# (curl signing, the AWS CLI fallback), uploads with retries, and the checkout whose every step
# counts. Real parts where they can show it: curl against the IMDSv2 stand-in, moto_server behind
# curl and the AWS CLI, git on local repositories. Fakes only where noted.

# shellcheck disable=SC2034,SC2154 # first-boot's variables: its functions read what tests set
bats_require_minimum_version 1.5.0

load helpers/launcher

setup_file() {
  start_aws
}

teardown_file() {
  stop_aws
}

setup() {
  load_first_boot
  region=us-east-1
}

teardown() {
  stop_imds
}

# --- the metadata service ---

@test "imds_get: a token that ran out is replaced once and the request asked again" {
  start_imds --token-seconds 1
  imds_new_token
  first_token="$imds_token"
  /bin/sleep 1.2

  imds_get latest/meta-data/instance-id "$scratch/out"

  [ "$(cat "$scratch/out")" = i-0test ]
  [ -n "$imds_token" ]
  [ "$imds_token" != "$first_token" ]
  [ "$(imds_requests 'PUT /latest/api/token 200')" -eq 2 ]
  [ "$(imds_requests 'GET /latest/meta-data/instance-id 401')" -eq 1 ]
  [ "$(imds_requests 'GET /latest/meta-data/instance-id 200')" -eq 1 ]
}

@test "imds_get: 1 when the path is not there, 2 when even a fresh token is refused" {
  start_imds
  imds_new_token
  run -1 imds_get latest/meta-data/no-such-thing "$scratch/out"

  stop_imds
  start_imds --token-seconds 0
  imds_new_token
  run -2 imds_get latest/meta-data/instance-id "$scratch/out"
  # One new token and one more try, no loop.
  [ "$(imds_requests 'PUT /latest/api/token 200')" -eq 2 ]
  [ "$(imds_requests 'GET /latest/meta-data/instance-id 401')" -eq 2 ]
}

@test "spot_notice: none while EC2 has not scheduled an interruption" {
  start_imds --spot-file "$BATS_TEST_TMPDIR/notice"
  imds_new_token
  run -1 spot_notice "$scratch/spot"
  [ "$(imds_requests 'GET /latest/meta-data/spot/instance-action 404')" -eq 1 ]
}

@test "spot_notice: the notice and its action: terminate, stop, hibernate; terminate when it does not say" {
  start_imds --spot-file "$BATS_TEST_TMPDIR/notice"
  imds_new_token
  for action in terminate stop hibernate; do
    printf '{"action": "%s", "time": "2030-01-01T00:00:00Z"}' "$action" >"$BATS_TEST_TMPDIR/notice"
    spot_notice "$scratch/spot"
    [ "$(spot_action "$scratch/spot")" = "$action" ]
  done
  echo '{"time": "2030-01-01T00:00:00Z"}' >"$BATS_TEST_TMPDIR/notice"
  spot_notice "$scratch/spot"
  [ "$(spot_action "$scratch/spot")" = terminate ]
  echo 'not json' >"$scratch/spot"
  [ "$(spot_action "$scratch/spot")" = terminate ]
  [ "$(spot_action "$scratch/no-such-notice")" = terminate ]
}

@test "finish after a spot notice: powers off when EC2 terminates, leaves a stop to EC2; no stamp" {
  terminate_on_exit=true
  echo '{"action": "stop"}' >"$scratch/spot"
  run -1 finish 143 spot-interruption
  [[ "$output" == *"leaving the instance to EC2's spot stop"* ]]
  [ ! -s "$CALLS" ]
  [ "$(jq -r '.reason + " " + (.exitCode | tostring)' "$status_file")" = "spot-interruption 143" ]

  echo '{"action": "terminate"}' >"$scratch/spot"
  run -1 finish 143 spot-interruption
  [[ "$output" == *"powering off (poweroff --no-wall)"* ]]
  [ "$(cat "$CALLS")" = "poweroff --no-wall" ]
  [ ! -e "$stamp" ]
}

# --- the user-data ---

@test "user_data_project: the first AMI_PROJECT line, with LF or CRLF line ends" {
  printf 'AMI_PROJECT=demo\n' >"$scratch/user-data"
  run -0 user_data_project "$scratch/user-data"
  [ "$output" = demo ]

  printf '#!/bin/bash\r\nAMI_PROJECT=ml-2\r\nAMI_PROJECT=other\r\n' >"$scratch/user-data"
  run -0 user_data_project "$scratch/user-data"
  [ "$output" = ml-2 ]
}

@test "user_data_project: garbage, a path, a bad name, nothing: no project, and why" {
  printf '\x00\xff\x1f\x8b binary AMI_PROJECT=demo\n' >"$scratch/user-data"
  run -1 user_data_project "$scratch/user-data"
  [ "$output" = "the user-data (29 bytes) has no AMI_PROJECT=<name> line: not started by ami launch" ]

  printf 'AMI_PROJECT=../x\n' >"$scratch/user-data"
  run -1 user_data_project "$scratch/user-data"
  [ "$output" = "AMI_PROJECT='../x' is not a project name (^[a-z0-9][a-z0-9-]{0,38}\$)" ]

  printf 'AMI_PROJECT=Demo\n' >"$scratch/user-data"
  run -1 user_data_project "$scratch/user-data"
  [[ "$output" == "AMI_PROJECT='Demo' is not a project name"* ]]

  printf 'AMI_PROJECT=%s\n' "$(printf 'a%.0s' {1..100})" >"$scratch/user-data"
  run -1 user_data_project "$scratch/user-data"
  [[ "$output" == "AMI_PROJECT='$(printf 'a%.0s' {1..60})' is not"* ]]

  : >"$scratch/user-data"
  run -1 user_data_project "$scratch/user-data"
  [ "$output" = "the user-data (0 bytes) has no AMI_PROJECT=<name> line: not started by ami launch" ]
}

@test "read_project: the project from the metadata service; none without user-data, saying why" {
  start_imds --user-data $'AMI_PROJECT=demo\r\n'
  read_project
  [ "$project" = demo ]

  stop_imds
  project=""
  start_imds
  run -1 read_project
  [[ "$output" == *"first-boot: no user-data: this instance was not started by ami launch; nothing to do" ]]
  [ "$(imds_requests 'GET /latest/user-data 404')" -eq 1 ]

  stop_imds
  start_imds --user-data 'AMI_PROJECT=../x'
  run -1 read_project
  [[ "$output" == *"first-boot: AMI_PROJECT='../x' is not a project name ("*"); nothing to do" ]]
  grep -q "is not a project name" "$boot_log"
  [ -z "$project" ]
}

# --- SSM ---

put_parameter() {
  aws ssm put-parameter --name "$1" --type "${3:-String}" --value "$2" --overwrite >/dev/null
}

@test "ssm_value: curl signs the request itself (curl with --aws-sigv4); the keys stay off its command line" {
  config=$'{"repo": "https://example.invalid/r.git",\n "command": "echo \\"hi\\" && exit 0"}'
  put_parameter /t/signed/run "$config"
  put_parameter /t/signed/token 's3cr3t v@lue' SecureString
  export AWS_ACCESS_KEY_ID=AKIDSIGNEDTEST AWS_SECRET_ACCESS_KEY=secret-on-stdin-only
  spy curl
  spy aws

  run -0 ssm_value /t/signed/run
  [ "$output" = "$config" ]
  run -0 ssm_value /t/signed/token --with-decryption
  [ "$output" = 's3cr3t v@lue' ]
  run -1 ssm_value /t/signed/missing
  [[ "$(last_line "$scratch/aws.err")" == "ParameterNotFound"* ]]

  grep -q -- "--aws-sigv4 aws:amz:us-east-1:ssm" "$CALLS"
  run -1 grep -c '^aws ' "$CALLS"
  run -1 grep -c secret-on-stdin-only "$CALLS"
}

@test "ssm_value: a curl that cannot sign falls back to the AWS CLI, with the same values and errors" {
  config=$'{"repo": "https://example.invalid/r.git",\n "command": "echo \\"hi\\""}'
  put_parameter /t/cli/run "$config"
  put_parameter /t/cli/token 's3cr3t v@lue' SecureString
  # An old curl (before 7.75) cannot be had here: this one hides --aws-sigv4 from its help and
  # otherwise is the real curl.
  real_curl="$(command -v curl)"
  fake curl <<FAKE
#!/usr/bin/env bash
echo "curl \$*" >>"\$CALLS"
if [[ "\$*" == *--help* ]]; then "$real_curl" "\$@" | grep -v -- --aws-sigv4; exit 0; fi
exec "$real_curl" "\$@"
FAKE
  spy aws

  run -0 ssm_value /t/cli/run
  [ "$output" = "$config" ]
  run -0 ssm_value /t/cli/token --with-decryption
  [ "$output" = 's3cr3t v@lue' ]
  # The AWS CLI's own exit code (254 or 255), passed on.
  run ! ssm_value /t/cli/missing
  grep -q "ParameterNotFound" "$scratch/aws.err"

  grep -q "^aws --region us-east-1 .* ssm get-parameter --name /t/cli/run --query Parameter.Value" "$CALLS"
  grep -q "^aws --region us-east-1 .* ssm get-parameter --name /t/cli/token --with-decryption" "$CALLS"
  run -1 grep -c -- "--aws-sigv4" "$CALLS"
}

# --- uploads ---

@test "upload: a command that fails twice and then succeeds is tried again 1 s, then 2 s later" {
  # moto cannot fail an upload now and not a moment later: this command does.
  flaky() {
    local n
    n=$(($(cat "$scratch/tries" 2>/dev/null || echo 0) + 1))
    echo "$n" >"$scratch/tries"
    ((n > 2)) || { echo "upload failed: connection reset ($n)" >&2; return 1; }
  }
  fake sleep <<'FAKE'
#!/bin/sh
echo "sleep $*" >>"$CALLS"
FAKE

  run -0 upload "the logs" s3://bucket/runs/demo/i-0test/ flaky

  [[ "${lines[0]}" == *"first-boot: upload of the logs to s3://bucket/runs/demo/i-0test/ failed (attempt 1 of 3): upload failed: connection reset (1)" ]]
  [[ "${lines[1]}" == *"first-boot: upload of the logs to s3://bucket/runs/demo/i-0test/ failed (attempt 2 of 3): upload failed: connection reset (2)" ]]
  [[ "${lines[2]}" == *"first-boot: uploaded the logs to s3://bucket/runs/demo/i-0test/" ]]
  [ "${#lines[@]}" -eq 3 ]
  [ "$(cat "$CALLS")" = $'sleep 1\nsleep 2' ]
  [ "$(cat "$scratch/tries")" = 3 ]
}

@test "upload: an upload that fails every time is tried 3 times and returns 1" {
  fake sleep <<'FAKE'
#!/bin/sh
echo "sleep $*" >>"$CALLS"
FAKE
  echo '{"exitCode": 0}' >"$status_file"

  run -1 upload exit-status.json s3://no-such-bucket/runs/ copy_file "$status_file" s3://no-such-bucket/runs/exit-status.json

  [ "${#lines[@]}" -eq 3 ]
  for attempt in 1 2 3; do
    [[ "${lines[attempt - 1]}" == *"upload of exit-status.json to s3://no-such-bucket/runs/ failed (attempt $attempt of 3): "*NoSuchBucket* ]]
  done
  [ "$(cat "$CALLS")" = $'sleep 1\nsleep 2' ]
}

@test "copy_logs: every log but exit-status.json, to the results prefix" {
  aws s3 mb s3://results >/dev/null
  echo job >"$job_log"
  echo boot >"$boot_log"
  echo '{}' >"$status_file"

  run -0 upload "the logs" s3://results/runs/demo/i-0test/ copy_logs "$log_dir" s3://results/runs/demo/i-0test/

  [[ "$output" == *"first-boot: uploaded the logs to s3://results/runs/demo/i-0test/" ]]
  run -0 aws s3api list-objects-v2 --bucket results --query 'Contents[].Key' --output text
  [ "$(tr '\t' '\n' <<<"$output" | sort | paste -sd ' ')" = "runs/demo/i-0test/first-boot.log runs/demo/i-0test/job.log" ]
}

# --- the checkout: every step counts ---

@test "checkout_repo: a work dir that cannot be made fails the checkout with mkdir's reason" {
  git_repo "$BATS_TEST_TMPDIR/a" >/dev/null
  touch "$BATS_TEST_TMPDIR/not-a-dir"

  run -1 checkout_repo "$BATS_TEST_TMPDIR/a" main "$BATS_TEST_TMPDIR/not-a-dir/work"

  [[ "$(last_line "$scratch/git.err")" == "mkdir: cannot create directory"*"Not a directory" ]]
}

@test "checkout_repo: a failing git remote set-url fails the fetch instead of fetching the old remote" {
  old="$(git_repo "$BATS_TEST_TMPDIR/old")"
  git_repo "$BATS_TEST_TMPDIR/new" >/dev/null
  dir="$BATS_TEST_TMPDIR/work"
  checkout_repo "$BATS_TEST_TMPDIR/old" main "$dir"
  [ "$(git -C "$dir" rev-parse HEAD)" = "$old" ]
  # Another git holds the config's lock: set-url cannot write it (a real failure, root or not).
  touch "$dir/.git/config.lock"

  run -1 checkout_repo "$BATS_TEST_TMPDIR/new" main "$dir"

  [[ "$(cat "$scratch/git.err")" == *"could not lock config file"* ]]
  [[ "$output" != *"checked out"* ]]
  [ "$(git -C "$dir" rev-parse HEAD)" = "$old" ]
  [ "$(git -C "$dir" remote get-url origin)" = "$BATS_TEST_TMPDIR/old" ]
}

@test "check_out_code: a failed remote set-url or mkdir fails the setup: exit status 125, setup-failed" {
  terminate_on_exit=false
  old="$(git_repo "$BATS_TEST_TMPDIR/old")"
  git_repo "$BATS_TEST_TMPDIR/new" >/dev/null
  ref=main
  job_owner="$(id -u):$(id -g)"

  work_dir="$BATS_TEST_TMPDIR/work"
  checkout_repo "$BATS_TEST_TMPDIR/old" main "$work_dir"
  touch "$work_dir/.git/config.lock"
  repo="$BATS_TEST_TMPDIR/new"
  run -1 check_out_code
  [[ "$output" == *"first-boot: error: getting $repo at 'main' failed: fatal: could not set 'remote.origin.url' to '$repo'"* ]]
  [[ "$output" == *"first-boot: terminateOnExit is false: the instance stays up"* ]]
  [ "$(jq -r '.reason + " " + (.exitCode | tostring)' "$status_file")" = "setup-failed 125" ]
  [ "$(git -C "$work_dir" rev-parse HEAD)" = "$old" ]

  rm "$status_file"
  touch "$BATS_TEST_TMPDIR/not-a-dir"
  work_dir="$BATS_TEST_TMPDIR/not-a-dir/work"
  run -1 check_out_code
  [[ "$output" == *"first-boot: error: getting $repo at 'main' failed: mkdir: cannot create directory"* ]]
  [ "$(jq -r '.reason + " " + (.exitCode | tostring)' "$status_file")" = "setup-failed 125" ]
  [ ! -e "$stamp" ]
  [ ! -s "$CALLS" ]
}

# --- first-boot itself ---

@test "sourced, first-boot defines its steps and runs none; AMI_LAUNCHER_LIB says where lib/ is" {
  # shellcheck disable=SC2016 # $1 is the inner bash's
  run -0 bash -c 'source "$1" && declare -F main read_project run_job finish upload >/dev/null && echo sourced' _ \
    "$repo_root/launcher/first-boot"
  [ "$output" = sourced ]
  [ ! -e "$AMI_ROOT/var/log/ami-pipeline/first-boot.log" ]

  # The script alone, elsewhere: it needs its libraries, and finds them where the variable says.
  cp "$repo_root/launcher/first-boot" "$BATS_TEST_TMPDIR/first-boot"
  echo "2026-01-01T00:00:00Z exited" >"$stamp"
  run -1 env -u AMI_LAUNCHER_LIB "$BATS_TEST_TMPDIR/first-boot"
  [[ "$output" == *"$BATS_TEST_TMPDIR/lib/log.sh: No such file or directory"* ]]
  AMI_LAUNCHER_LIB="$repo_root/launcher/lib" run -0 "$BATS_TEST_TMPDIR/first-boot"
  [[ "$output" == *"first-boot: the job already finished on an earlier boot (2026-01-01T00:00:00Z exited); nothing to do" ]]
}
