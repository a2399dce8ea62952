#!/usr/bin/env bats
# launcher/lib/ one function at a time, sourced through launcher/first-boot (whose main does not
# run when sourced): the metadata service (token refresh, spot notice), the user-data, SSM reads
# (curl signing, the AWS CLI fallback), uploads with retries, and the checkout whose every step
# counts. Real parts where they can show it: curl against the IMDSv2 stand-in, moto_server behind
# curl and the AWS CLI, git on local repositories. Fakes only where noted.

# shellcheck disable=SC2034,SC2154 # first-boot's variables: its functions read what tests set
# shellcheck disable=SC2030,SC2031 # each test runs in a subshell of its own: that is the point
# shellcheck disable=SC2317 # the fakes defined in tests are called by the code under test
# shellcheck disable=SC2153 # CONSOLE comes from helpers/launcher.bash
bats_require_minimum_version 1.5.0

load helpers/launcher

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

# --- the run: its id, the attempt, run.json ---

@test "read_instance_identity: the run id from the instance tag, the instance type and address, the node count" {
  start_imds --instance-type g5.xlarge --local-ipv4 10.0.3.7 --tag ami-pipeline:run=demo-20261202-101500-3fa9 \
    --tag ami-pipeline:nodes=2
  imds_new_token

  read_instance_identity

  [ "$run_id" = demo-20261202-101500-3fa9 ]
  [ "$instance_type" = g5.xlarge ]
  [ "$local_ipv4" = 10.0.3.7 ]
  [ "$nodes" = 2 ]
  [ "$recovering" = false ]
  grep -q "first-boot: run demo-20261202-101500-3fa9 (instance tag ami-pipeline:run)" "$boot_log"
  [ "$(imds_requests 'GET /latest/meta-data/tags/instance/ami-pipeline:run 200')" -eq 1 ]
}

@test "read_instance_identity: no run tag, or one that is not a run id: the run id is the instance id, and the log says why" {
  start_imds
  imds_new_token
  read_instance_identity
  [ "$run_id" = i-0test ]
  [ "$nodes" = 1 ]
  grep -q "first-boot: no instance tag ami-pipeline:run in the metadata (not launched by ami launch, or without instance tags in the metadata): run id = the instance id, i-0test" "$boot_log"
  [ "$(imds_requests 'GET /latest/meta-data/tags/instance/ami-pipeline:run 404')" -eq 1 ]

  stop_imds
  start_imds --tag 'ami-pipeline:run=../other/x'
  imds_new_token
  read_instance_identity
  [ "$run_id" = i-0test ]
  grep -q "first-boot: the instance tag ami-pipeline:run='../other/x' is not a run id; run id = the instance id, i-0test" "$boot_log"
}

# put_status KEY REASON [ATTEMPT]: an exit-status.json at KEY under the run's folder ($run_uri).
put_status() {
  printf '{"exitCode": 143, "reason": "%s", "attempt": %s, "instanceId": "%s"}' "$2" "${3:-1}" "${1%%/*}" |
    aws s3 cp - "$run_uri$1" >/dev/null
}

@test "count_attempt: 1 + the spot interruptions among the run's exit statuses, all read with one AWS CLI call" {
  aws s3 mb s3://runs-bucket >/dev/null
  run_id=demo-20261202-101500-3fa9
  run_uri="s3://runs-bucket/runs/demo/$run_id/"
  log_destination="${run_uri}i-0test/"

  count_attempt
  [ "$attempt" -eq 1 ]

  put_status i-0aaa/exit-status.json spot-interruption 1
  put_status i-0bbb/exit-status.json spot-interruption 2
  put_status i-0ccc/exit-status.json exited 3
  # Not exit statuses of instances of the run: a checkpoint file, another run's, a non-JSON one.
  put_status checkpoint/exit-status.json spot-interruption
  printf '{"reason": "spot-interruption"}' | aws s3 cp - s3://runs-bucket/runs/demo/demo-20261202-101500-3fa9x/i-0ddd/exit-status.json >/dev/null
  echo 'not json' | aws s3 cp - "s3://runs-bucket/runs/demo/$run_id/i-0eee/exit-status.json" >/dev/null

  spy aws
  count_attempt

  [ "$attempt" -eq 3 ]
  [ "$(grep -c '^aws ' "$CALLS")" -eq 1 ]
  grep -q "first-boot: attempt 3 of run $run_id; results go to s3://runs-bucket/runs/demo/$run_id/i-0test/" "$boot_log"
  grep -q "s3://runs-bucket/runs/demo/$run_id/i-0eee/exit-status.json is not a JSON object; left out" "$boot_log"
}

@test "start_lookups: counts beside the checkout; a setup that fails meanwhile records the counted attempt" {
  aws s3 mb s3://runs-bucket-2 >/dev/null
  run_id=demo-20261202-111500-3fa9
  run_uri="s3://runs-bucket-2/runs/demo/$run_id/"
  log_destination="${run_uri}i-0test/"
  put_status i-0fff/exit-status.json spot-interruption 1
  terminate_on_exit=false

  start_lookups
  [ "$attempt" -eq 1 ]
  run -1 setup_failed "the run configuration has no command"

  [ "$(jq -r '.reason + " attempt " + (.attempt | tostring)' "$status_file")" = "setup-failed attempt 2" ]
  grep -q "first-boot: attempt 2 of run $run_id" "$boot_log"
}

@test "count_attempt: a run folder that cannot be listed counts as attempt 1, with the AWS CLI's reason" {
  run_id=r
  run_uri=s3://no-such-bucket/runs/demo/r/
  log_destination="${run_uri}i-0test/"

  count_attempt

  [ "$attempt" -eq 1 ]
  grep -q "first-boot: reading the exit statuses under s3://no-such-bucket/runs/demo/r/ failed (exit code 1): fatal error: An error occurred (NoSuchBucket)" "$boot_log"
  grep -q "the earlier attempts of run r could not be counted; counting this one as attempt 1" "$boot_log"
}

@test "run_summary: the state is the worst end among the last attempt's instances, in the words ami runs shows" {
  status() { printf '{"instanceId": "%s", "instanceType": "t3.micro", "attempt": %s, "exitCode": %s, "reason": "%s", "startedAt": "%s", "endedAt": "%s", "amiId": "ami-1"}' "$@"; }
  one="$(status i-1 1 143 spot-interruption 2026-12-02T10:15:00Z 2026-12-02T11:00:00Z)"
  two="$(status i-2 2 0 exited 2026-12-02T11:05:00Z 2026-12-02T12:00:00Z)"
  three="$(status i-3 2 3 exited 2026-12-02T11:05:01Z 2026-12-02T12:30:00Z)"

  run -0 run_summary "[$two, $one]" demo-20261202-101500-3fa9 demo 1
  [ "$(jq -c '{runId, project, state, startedAt, endedAt, nodes, attempts}' <<<"$output")" = \
    '{"runId":"demo-20261202-101500-3fa9","project":"demo","state":"succeeded","startedAt":"2026-12-02T10:15:00Z","endedAt":"2026-12-02T12:00:00Z","nodes":1,"attempts":2}' ]
  [ "$(jq -c '.instances[0]' <<<"$output")" = \
    '{"instanceId":"i-1","instanceType":"t3.micro","market":null,"attempt":1,"exitCode":143,"reason":"spot-interruption","startedAt":"2026-12-02T10:15:00Z","endedAt":"2026-12-02T11:00:00Z"}' ]

  [ "$(run_summary "[$one, $two, $three]" r demo 2 | jq -r .state)" = "failed (code 3)" ]
  [ "$(run_summary "[$one]" r demo 1 | jq -r .state)" = interrupted ]
  for reason in timeout:"timed out" setup-failed:"setup failed" cancelled:cancelled gave-up:"gave up"; do
    [ "$(run_summary "[$two, $(status i-4 2 124 "${reason%%:*}" 2026-12-02T11:05:00Z 2026-12-02T12:00:00Z)]" r demo 2 |
      jq -r .state)" = "${reason#*:}" ]
  done
}

@test "ends_run: every end but a recovering run's spot interruption and a plain stop" {
  for reason in exited timeout setup-failed cancelled gave-up; do
    ends_run "$reason" true
  done
  ends_run spot-interruption false
  run -1 ends_run spot-interruption true
  run -1 ends_run shutdown false
}

@test "config_checkpoint: dir, uri (default logUri) and syncSeconds (default 300); bad values say which" {
  run -0 config_checkpoint '{"checkpoint": {"dir": "/var/lib/ml/ckpt/"}}' s3://logs/runs/
  [ "$output" = $'/var/lib/ml/ckpt\ns3://logs/runs\n300' ]
  run -0 config_checkpoint '{"checkpoint": {"dir": "/c", "uri": "s3://ckpt", "syncSeconds": 0}}' s3://logs/runs
  [ "$output" = $'/c\ns3://ckpt\n0' ]
  run -0 config_checkpoint '{}' s3://logs/runs
  [ -z "$output" ]

  run -1 config_checkpoint '{"checkpoint": {"dir": "relative"}}' s3://logs
  [ "$output" = "checkpoint.dir 'relative' is not an absolute path (like /var/lib/ml/checkpoints)" ]
  run -1 config_checkpoint '{"checkpoint": {"dir": "/a/../etc"}}' s3://logs
  [[ "$output" == "checkpoint.dir '/a/../etc' is not an absolute path"* ]]
  run -1 config_checkpoint '{"checkpoint": {"dir": "/c", "uri": "https://x"}}' s3://logs
  [ "$output" = "checkpoint.uri 'https://x' is not an s3://bucket/prefix URI" ]
  run -1 config_checkpoint '{"checkpoint": {"dir": "/c", "syncSeconds": 2.5}}' s3://logs
  [[ "$output" == "checkpoint.syncSeconds '2.5' is not a whole number of seconds"* ]]
  run -1 config_checkpoint '{"checkpoint": "/c"}' s3://logs
  [ "$output" = "the run configuration's checkpoint is not an object" ]
}

# --- the console ---

@test "log: every line also goes to the console; a console that cannot be written is skipped without a word" {
  log "hello console"
  # Stamped in UTC to the millisecond, so how long a step took can be read off the log.
  [[ "$(cat "$CONSOLE")" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z\ first-boot:\ hello\ console$ ]]

  console="$BATS_TEST_TMPDIR/no-such-dir/console"
  run -0 log "still logged"
  [[ "$output" == *"first-boot: still logged" ]]
  [ "${#lines[@]}" -eq 1 ]
  grep -q "still logged" "$boot_log"
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

@test "upload: fails twice, then succeeds: tried again 1 s, then 2 s later, each failure logged with its words" {
  # moto cannot fail an upload now and not a moment later: this command does (FirstBootIT does it
  # on the wire, through the fault proxy).
  flaky() {
    local n
    n=$(($(cat "$scratch/tries" 2>/dev/null || echo 0) + 1))
    echo "$n" >"$scratch/tries"
    ((n > 2)) || { echo "upload failed: connection reset ($n)" >&2; return 1; }
  }
  fake_clock
  upload_deadline=$((fake_now + 300))

  run -0 upload "the logs" s3://bucket/runs/demo/r/i-0test/ flaky

  [[ "${lines[0]}" == *"first-boot: upload of the logs to s3://bucket/runs/demo/r/i-0test/ failed (try 1, exit code 1; trying again in 1s): upload failed: connection reset (1)" ]]
  [[ "${lines[1]}" == *"first-boot: upload of the logs to s3://bucket/runs/demo/r/i-0test/ failed (try 2, exit code 1; trying again in 2s): upload failed: connection reset (2)" ]]
  [[ "${lines[2]}" == *"first-boot: uploaded the logs to s3://bucket/runs/demo/r/i-0test/" ]]
  [ "${#lines[@]}" -eq 3 ]
  [ "$(cat "$CALLS")" = $'sleep 1\nsleep 2' ]
  [ "$(cat "$scratch/tries")" = 3 ]
}

@test "upload: backoff 1, 2, 4 … capped at 30 s, until the next try would start after the deadline" {
  failing() { echo "An error occurred (AccessDenied) when calling the PutObject operation: Access Denied" >&2; return 1; }
  fake_clock
  upload_deadline=$((fake_now + 100))

  run -1 upload exit-status.json s3://bucket/runs/demo/r/i-0test/ failing

  # Tries at 0, 1, 3, 7, 15, 31, 61 and 91 s; one more would start at 121 s, past the deadline.
  [ "$(cat "$CALLS")" = $'sleep 1\nsleep 2\nsleep 4\nsleep 8\nsleep 16\nsleep 30\nsleep 30' ]
  [ "${#lines[@]}" -eq 8 ]
  for try in 1 2 3 4 5 6 7; do
    [[ "${lines[try - 1]}" == *"upload of exit-status.json to s3://bucket/runs/demo/r/i-0test/ failed (try $try, exit code 1; trying again in "*"s): An error occurred (AccessDenied)"* ]]
  done
  [[ "${lines[7]}" == *"failed (try 8, exit code 1; no time left to try again): An error occurred (AccessDenied) when calling the PutObject operation: Access Denied" ]]
}

@test "upload: without a deadline, one try; set_upload_deadline keeps the earlier of two deadlines" {
  failing() { echo "boom" >&2; return 1; }
  fake_clock

  run -1 upload "the logs" s3://bucket/x/ failing
  [ "${#lines[@]}" -eq 1 ]
  [ ! -s "$CALLS" ]

  set_upload_deadline 300
  [ "$upload_deadline" -eq $((fake_now + 300)) ]
  set_upload_deadline 50
  [ "$upload_deadline" -eq $((fake_now + 50)) ]
  set_upload_deadline 300
  [ "$upload_deadline" -eq $((fake_now + 50)) ]
}

@test "upload: every line the AWS CLI writes is logged, and its exit code; a kill is named" {
  talkative() {
    printf 'warning: first thing\n\nupload failed: job.log to s3://b/k An error occurred (InternalError)\nsecond line\n' >&2
    return 1
  }
  killed() { bash -c 'kill -TERM $$'; }
  silent() { return 255; }

  run -1 upload "the logs" s3://b/k talkative
  [[ "${lines[0]}" == *"upload of the logs to s3://b/k failed (try 1, exit code 1; no time left to try again): warning: first thing" ]]
  [[ "${lines[1]}" == *"first-boot:   upload failed: job.log to s3://b/k An error occurred (InternalError)" ]]
  [[ "${lines[2]}" == *"first-boot:   second line" ]]
  [ "${#lines[@]}" -eq 3 ]
  grep -q "second line" "$boot_log"

  run -1 upload "the logs" s3://b/k killed
  [[ "$output" == *"failed (try 1, killed by SIGTERM, exit code 143; no time left to try again); the AWS CLI said nothing" ]]

  run -1 upload "the logs" s3://b/k silent
  [[ "$output" == *"failed (try 1, exit code 255; no time left to try again); the AWS CLI said nothing" ]]
}

@test "upload: the error text does not depend on a scratch file: a vanished scratch folder still shows why" {
  # What the upload of old did when its scratch folder was gone: bash failed the redirection to
  # \$scratch/aws.err, never started the AWS CLI, and logged an empty reason three times in 3 s.
  rm -rf "$scratch"
  aws s3 mb s3://results-scratch >/dev/null
  echo job >"$job_log"

  run -0 upload "the logs" s3://results-scratch/runs/ copy_logs "$log_dir" s3://results-scratch/runs/

  [[ "$output" == *"first-boot: uploaded the logs to s3://results-scratch/runs/" ]]
  run -0 aws s3 ls s3://results-scratch/runs/job.log
  # Reading the run's exit statuses makes the folder it needs.
  rm -rf "$scratch"
  run_exit_statuses s3://results-scratch/runs/
  [ "$run_statuses" = "[]" ]
}

@test "upload: exit code 2 (the AWS CLI skipped a file) is reported with its warning; the rest is uploaded" {
  aws s3 mb s3://results-skip >/dev/null
  echo job >"$job_log"
  mkfifo "$log_dir/a-fifo"

  run -0 upload "the logs" s3://results-skip/runs/ copy_logs "$log_dir" s3://results-skip/runs/

  [[ "$output" == *"first-boot: uploaded the logs to s3://results-skip/runs/, but the AWS CLI skipped files (exit code 2): warning: Skipping file $log_dir/a-fifo. File is character special device, block special device, FIFO, or socket." ]]
  run -0 aws s3 ls s3://results-skip/runs/job.log
}

@test "upload: a bucket that does not exist: the AWS CLI's NoSuchBucket, for every try" {
  fake_clock
  upload_deadline=$((fake_now + 2))

  run -1 upload exit-status.json s3://no-such-bucket/runs/ put_json '{"exitCode": 0}' s3://no-such-bucket/runs/exit-status.json

  [ "${#lines[@]}" -eq 2 ]
  [[ "${lines[0]}" == *"upload of exit-status.json to s3://no-such-bucket/runs/ failed (try 1, exit code 1; trying again in 1s): upload failed: - to s3://no-such-bucket/runs/exit-status.json An error occurred (NoSuchBucket)"* ]]
  [[ "${lines[1]}" == *"(try 2, exit code 1; no time left to try again): "*NoSuchBucket* ]]
  [ "$(cat "$CALLS")" = "sleep 1" ]
}

@test "put_json: the object is the text, uploaded from memory" {
  aws s3 mb s3://results-json >/dev/null

  run -0 upload exit-status.json s3://results-json/r/ put_json '{"exitCode": 3}' s3://results-json/r/exit-status.json

  [ "$(aws s3 cp s3://results-json/r/exit-status.json - | jq -c .)" = '{"exitCode":3}' ]
  [ "$(aws s3api head-object --bucket results-json --key r/exit-status.json --query ContentType --output text)" = application/json ]
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

# --- copies while the job runs ---

@test "stop_copies: a copy under way stops together with the AWS CLI it runs; finished or no copies are no matter" {
  fake aws <<'FAKE'
#!/bin/bash
echo "$$" >"$BATS_TEST_TMPDIR/aws.pid"
exec sleep 100
FAKE
  sync_once "the logs" s3://b/r/ copy_logs "$log_dir" s3://b/r/ &
  copy=$!
  for ((i = 0; i < 100; i++)); do
    [[ -s "$BATS_TEST_TMPDIR/aws.pid" ]] && break
    /bin/sleep 0.05
  done
  aws_pid="$(cat "$BATS_TEST_TMPDIR/aws.pid")"
  kill -0 "$aws_pid"

  run -0 stop_copies "" "$copy"
  [ -z "$output" ]

  for ((i = 0; i < 100; i++)); do
    kill -0 "$aws_pid" 2>/dev/null || break
    /bin/sleep 0.05
  done
  run -1 kill -0 "$aws_pid"
  wait "$copy" || true
  run -0 stop_copies "$copy" ""
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
