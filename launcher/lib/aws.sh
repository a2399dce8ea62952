# shellcheck shell=bash
# AWS from the instance: SSM reads and EC2 queries (curl signs them itself when it can, else the
# AWS CLI), S3 reads, and S3 uploads and downloads retried with backoff until a deadline. Sourced by first-boot
# (and the bats tests), never run.
#
# Every S3 call keeps what the AWS CLI says: its exit code and each line it writes on stderr go
# into the log, captured through a pipe (a scratch file could be gone or its disk full, and then
# a failure would have no words), and an exit code 2 (files skipped, each with a warning) is
# reported with its warnings. Uploads say --no-progress, never --only-show-errors.
#
# Callers test these functions with `||` or `if`, which turns errexit off inside them (bash's
# rule): every command whose failure matters ends in `|| return 1`.


# Backoff between tries: 1 s, 2 s, 4 s … at most this long.
RETRY_CAP_SECONDS=30
# A try that starts near its deadline still gets this long before it is cut off.
MIN_TRY_SECONDS=15

# Process-wide state, set by first-boot (or a test) before any function here runs: the instance's
# region and the scratch directory (SSM read errors go to $scratch/aws.err).
declare -g region scratch
# When uploads stop being retried (seconds since the epoch; 0: one try). first-boot sets it at the
# end of a run: uploadRetryMinutes from then, sooner when a spot notice or a stop leaves less time.
declare -g upload_deadline=0
# What the last captured AWS CLI call wrote on stderr (capture fills it).
declare -g aws_output=""
# The run's exit statuses and its run.json ("" when there is none; run_exit_statuses fills both).
declare -g run_statuses="" run_json=""
# Filled on first use: whether curl can sign, and the credentials to sign with.
declare -g curl_sigv4="" access_key="" secret_key="" session_token=""

# AWS_ENDPOINT_URL is passed as --endpoint-url too: AWS CLIs older than 2.13 / 1.29 (Debian 12
# packages 2.9) ignore the variable and would call AWS itself.
# transfer and ec2_call set aws_time_limit (bash's dynamic scope reaches in here) so that one call
# that hangs cannot outlast its deadline.
aws_cli() {
  local limit=()
  if [[ -n "${aws_time_limit:-}" ]]; then
    limit=(timeout --kill-after=5 "$aws_time_limit")
  fi
  "${limit[@]}" aws --region "$region" --cli-connect-timeout 10 --cli-read-timeout 60 \
    ${AWS_ENDPOINT_URL:+--endpoint-url "$AWS_ENDPOINT_URL"} "$@"
}

# ssm_value NAME [--with-decryption]: the parameter's value, exactly. Reading the run configuration
# is the one call between boot and the job's first line, and starting the AWS CLI takes about a
# second, so curl signs the request itself (--aws-sigv4, curl 7.75 and later); an older curl falls
# back to the AWS CLI.
ssm_value() {
  local name="$1" decrypt=false
  [[ "${2:-}" == --with-decryption ]] && decrypt=true
  if curl_signs; then
    ssm_get_signed "$name" "$decrypt"
  else
    aws_cli ssm get-parameter --name "$name" ${2:+"$2"} --query Parameter.Value --output json \
      2>"$scratch/aws.err" | jq -r .
  fi
}

curl_signs() {
  if [[ -z "$curl_sigv4" ]]; then
    curl_sigv4=no
    curl --help all 2>/dev/null | grep -q -- '--aws-sigv4' && curl_sigv4=yes
  fi
  [[ "$curl_sigv4" == yes ]]
}

# The credentials to sign with: AWS_ACCESS_KEY_ID and friends when set (tests, other clouds), else
# the instance role's temporary credentials from the metadata service.
load_credentials() {
  [[ -n "$access_key" ]] && return 0
  if [[ -n "${AWS_ACCESS_KEY_ID:-}" && -n "${AWS_SECRET_ACCESS_KEY:-}" ]]; then
    access_key="$AWS_ACCESS_KEY_ID"
    secret_key="$AWS_SECRET_ACCESS_KEY"
    session_token="${AWS_SESSION_TOKEN:-}"
    return 0
  fi
  local role="" credentials="$scratch/credentials"
  role="$(imds_value latest/meta-data/iam/security-credentials/ | head -n 1)" || true
  if [[ -z "$role" ]] || ! imds_get "latest/meta-data/iam/security-credentials/$role" "$credentials"; then
    echo "no AWS credentials: the instance has no IAM role (launch it with an instance profile)" >"$scratch/aws.err"
    return 1
  fi
  access_key="$(jq -r .AccessKeyId "$credentials" 2>"$scratch/aws.err")" || return 1
  secret_key="$(jq -r .SecretAccessKey "$credentials" 2>"$scratch/aws.err")" || return 1
  session_token="$(jq -r '.Token // empty' "$credentials" 2>"$scratch/aws.err")" || return 1
  rm -f "$credentials"
}

# ssm_get_signed NAME true|false: SSM GetParameter over curl. The keys go to curl on stdin (its
# config), never on a command line where other processes could read them.
ssm_get_signed() {
  local name="$1" decrypt="$2" endpoint code
  load_credentials || return 1
  endpoint="${AWS_ENDPOINT_URL_SSM:-${AWS_ENDPOINT_URL:-https://ssm.$region.amazonaws.com}}"
  jq -nc --arg name "$name" --argjson decrypt "$decrypt" '{Name: $name, WithDecryption: $decrypt}' \
    >"$scratch/ssm-request.json" 2>"$scratch/aws.err" || return 1
  code="$(curl -sS -o "$scratch/ssm-response.json" -w '%{http_code}' --connect-timeout 10 --max-time 60 \
    --retry 3 --retry-delay 1 --aws-sigv4 "aws:amz:$region:ssm" --config - \
    -H 'Content-Type: application/x-amz-json-1.1' -H 'X-Amz-Target: AmazonSSM.GetParameter' \
    --data-binary "@$scratch/ssm-request.json" "${endpoint%/}/" 2>"$scratch/aws.err" \
    <<<"$(signing_config)")" || code=000
  if [[ "$code" != 200 ]]; then
    # Errors come as {"__type": "…#ParameterNotFound", "message": "…"}.
    jq -r '"\((.__type // "error") | sub(".*#"; "")): \(.message // .Message // "")"' \
      "$scratch/ssm-response.json" >>"$scratch/aws.err" 2>/dev/null || echo "HTTP $code" >>"$scratch/aws.err"
    return 1
  fi
  jq -r .Parameter.Value "$scratch/ssm-response.json"
}

signing_config() {
  printf 'user = "%s:%s"\n' "$access_key" "$secret_key"
  if [[ -n "$session_token" ]]; then
    printf 'header = "x-amz-security-token: %s"\n' "$session_token"
  fi
}

# ec2_query_signed OUT ACTION [NAME=VALUE...]: an EC2 Query API call that curl signs itself (as
# ssm_value does: no AWS CLI to start), its XML answer into OUT. curl tries again after a throttled
# answer (503). Returns 1 with EC2's error code and message (or curl's words) in $scratch/aws.err.
ec2_query_signed() {
  local out="$1" action="$2" endpoint code param form=()
  shift 2
  load_credentials || return 1
  endpoint="${AWS_ENDPOINT_URL_EC2:-${AWS_ENDPOINT_URL:-https://ec2.$region.amazonaws.com}}"
  for param in "Action=$action" Version=2016-11-15 "$@"; do
    form+=(--data-urlencode "$param")
  done
  code="$(curl -sS -o "$out" -w '%{http_code}' --connect-timeout 10 --max-time 60 --retry 3 --retry-delay 1 \
    --aws-sigv4 "aws:amz:$region:ec2" --config - "${form[@]}" "${endpoint%/}/" 2>"$scratch/aws.err" \
    <<<"$(signing_config)")" || code=000
  if [[ "$code" != 200 ]]; then
    # Errors come as <Response><Errors><Error><Code>…</Code><Message>…</Message>.
    tr -d '\n' <"$out" 2>/dev/null | sed -n 's|.*<Code>\(.*\)</Code>.*<Message>\(.*\)</Message>.*|\1: \2|p' \
      >>"$scratch/aws.err"
    [[ -s "$scratch/aws.err" ]] || echo "HTTP $code" >>"$scratch/aws.err"
    return 1
  fi
}

# --- S3 ---

# copy_logs DIR DEST: every file of DIR but exit-status.json to the S3 prefix DEST (ending in /),
# in one call. cp, not sync: a log that shrank (a new boot) must still replace the old one.
copy_logs() {
  aws_cli s3 cp --no-progress --recursive --exclude exit-status.json "$1" "$2"
}

# put_json TEXT DEST: TEXT as the object DEST, from memory (no local file needed).
put_json() {
  printf '%s\n' "$1" | aws_cli s3 cp --no-progress --content-type application/json - "$2"
}

# sync_dir SRC DEST: only what changed (aws s3 sync), either way between a folder and an S3 prefix.
# Nothing is deleted on either side.
sync_dir() {
  aws_cli s3 sync --no-progress "$1" "$2"
}

# capture OUT COMMAND...: runs COMMAND once, its stdout into the file OUT (/dev/null when unused),
# its stderr into aws_output; returns its exit code. The stderr goes through a pipe, and the
# redirection to OUT comes after it: if OUT cannot be written, bash's complaint lands in
# aws_output too.
capture() {
  local out="$1"
  shift
  aws_output="$("$@" 2>&1 >"$out")"
}

# describe_exit CODE: what an exit code of the AWS CLI means, for a log line.
describe_exit() {
  local code="$1"
  if ((code == 124)) && [[ -n "${aws_time_limit:-}" ]]; then
    echo "no answer within ${aws_time_limit}s, exit code 124"
  elif ((code > 128 && code < 160)); then
    echo "killed by SIG$(kill -l "$((code - 128))" 2>/dev/null || echo "$((code - 128))"), exit code $code"
  else
    echo "exit code $code"
  fi
}

# log_output HEADLINE: HEADLINE and the first line of aws_output, then every further line.
log_output() {
  local headline="$1" line
  local -a lines=()
  mapfile -t lines < <(grep -v '^[[:space:]]*$' <<<"$aws_output" || true)
  if ((${#lines[@]} == 0)); then
    log "$headline; the AWS CLI said nothing"
    return 0
  fi
  log "$headline: ${lines[0]}"
  for line in "${lines[@]:1}"; do
    log "  $line"
  done
}

# upload WHAT DEST COMMAND...: runs COMMAND (an upload of WHAT to DEST), and again after a failure,
# 1 s, 2 s, 4 s … (at most RETRY_CAP_SECONDS) later, until the next try would start after
# upload_deadline. Logs each failure with the AWS CLI's words; returns 1 when no try succeeded.
upload() {
  transfer upload "$@"
}

# download WHAT SRC COMMAND...: the same for a transfer from S3.
download() {
  transfer download "$@"
}

transfer() {
  local verb="$1" what="$2" where="$3" try=1 delay=1 code aws_time_limit failed done_as
  shift 3
  if [[ "$verb" == upload ]]; then
    failed="upload of $what to $where failed"
    done_as="uploaded $what to $where"
  else
    failed="download of $what from $where failed"
    done_as="downloaded $what from $where"
  fi
  while :; do
    set_try_time_limit
    code=0
    capture /dev/null "$@" || code=$?
    case "$code" in
      0)
        log "$done_as"
        return 0
        ;;
      2)
        # Some files were skipped (each named in a warning), the rest went: a retry would skip them again.
        log_output "$done_as, but the AWS CLI skipped files (exit code 2)"
        return 0
        ;;
    esac
    next_try_or_give_up "$failed" "$try" "$delay" "$code" || return 1
    delay=$((delay * 2 > RETRY_CAP_SECONDS ? RETRY_CAP_SECONDS : delay * 2))
    ((try += 1))
  done
}

# set_try_time_limit: sets the caller's aws_time_limit (bash's dynamic scope) so that one call
# cannot outlast upload_deadline by more than MIN_TRY_SECONDS; none without a deadline.
set_try_time_limit() {
  local now
  aws_time_limit=""
  if ((upload_deadline > 0)); then
    now="$(now_seconds)"
    aws_time_limit=$((upload_deadline - now > MIN_TRY_SECONDS ? upload_deadline - now : MIN_TRY_SECONDS))
  fi
}

# next_try_or_give_up FAILED TRY DELAY CODE: after try TRY of a call failed with exit code CODE,
# logs FAILED with the AWS CLI's words; returns 1 when a try DELAY seconds from now would start
# after upload_deadline, else sleeps DELAY seconds.
next_try_or_give_up() {
  local failed="$1" try="$2" delay="$3" code="$4"
  if (($(now_seconds) + delay > upload_deadline)); then
    log_output "$failed (try $try, $(describe_exit "$code"); no time left to try again)"
    return 1
  fi
  log_output "$failed (try $try, $(describe_exit "$code"); trying again in ${delay}s)"
  sleep "$delay"
}

# set_upload_deadline SECONDS: uploads end at the latest SECONDS from now; an earlier deadline
# already set stays.
set_upload_deadline() {
  local at=$(($(now_seconds) + $1))
  if ((upload_deadline == 0 || at < upload_deadline)); then
    upload_deadline="$at"
  fi
}

# s3_bucket URI / s3_key URI: the parts of s3://bucket/key.
s3_bucket() {
  local rest="${1#s3://}"
  printf '%s\n' "${rest%%/*}"
}

s3_key() {
  local rest="${1#s3://}"
  [[ "$rest" == */* ]] && printf '%s\n' "${rest#*/}" || echo ""
}

# run_exit_statuses RUN_PREFIX: sets run_statuses to the exit-status.json of every instance of the
# run (the objects <run>/<instance-id>/exit-status.json), as one JSON array; each gets "key"; and
# run_json to the run's run.json. One AWS CLI call lists the run's folder and fetches them all.
# Returns 1, the AWS CLI's words logged, when they cannot be listed or read.
run_exit_statuses() {
  local uri="$1" dir="$scratch/statuses" code=0 file key status statuses=()
  run_statuses=""
  run_json=""
  rm -rf "$dir"
  capture /dev/null aws_cli s3 cp --no-progress --recursive --exclude '*' --include 'i-*/exit-status.json' \
    --include run.json "$uri" "$dir/" || code=$?
  if ((code != 0 && code != 2)); then
    log_output "reading the exit statuses under $uri failed ($(describe_exit "$code"))"
    return 1
  fi
  ((code == 0)) || log_output "reading the exit statuses under $uri: the AWS CLI skipped files (exit code 2)"
  for file in "$dir"/i-*/exit-status.json; do
    [[ -f "$file" ]] || continue
    key="$uri${file#"$dir/"}"
    if status="$(jq -ce --arg key "$key" 'select(type == "object") | . + {key: $key}' "$file" 2>/dev/null)"; then
      statuses+=("$status")
    else
      log "$key is not a JSON object; left out"
    fi
  done
  # shellcheck disable=SC2034 # read by first-boot and finish
  run_statuses="$(printf '%s\n' "${statuses[@]}" | jq -cs .)"
  if [[ -f "$dir/run.json" ]]; then
    # shellcheck disable=SC2034 # read by first-boot
    run_json="$(cat "$dir/run.json")"
  fi
}

# sync_once [--quiet] WHAT DEST COMMAND...: one try of a copy made while the job runs (the next
# one comes soon): a failure is logged with the AWS CLI's words, a success only without --quiet.
sync_once() {
  local quiet=false what dest code=0
  if [[ "$1" == --quiet ]]; then
    quiet=true
    shift
  fi
  what="$1"
  dest="$2"
  shift 2
  capture /dev/null "$@" || code=$?
  case "$code" in
    0) [[ "$quiet" == true ]] || log "copied $what to $dest" ;;
    2) log_output "copied $what to $dest, but the AWS CLI skipped files (exit code 2)" ;;
    *) log_output "copying $what to $dest failed ($(describe_exit "$code"); the next copy tries again)" ;;
  esac
  return "$code"
}
