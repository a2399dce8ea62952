# shellcheck shell=bash
# AWS from the instance: SSM reads (curl signs them itself when it can, else the AWS CLI) and S3
# uploads with retries. Sourced by first-boot (and the bats tests), never run.
#
# Callers test these functions with `||` or `if`, which turns errexit off inside them (bash's
# rule): every command whose failure matters ends in `|| return 1`.

UPLOAD_ATTEMPTS=3

# Process-wide state, set by first-boot (or a test) before any function here runs: the instance's
# region and the scratch directory (errors go to $scratch/aws.err).
declare -g region scratch
# Filled on first use: whether curl can sign, and the credentials to sign with.
declare -g curl_sigv4="" access_key="" secret_key="" session_token=""

# AWS_ENDPOINT_URL is passed as --endpoint-url too: AWS CLIs older than 2.13 / 1.29 (Debian 12
# packages 2.9) ignore the variable and would call AWS itself.
aws_cli() {
  aws --region "$region" --cli-connect-timeout 10 --cli-read-timeout 60 \
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

# copy_logs DIR DEST: every file of DIR but exit-status.json to the S3 prefix DEST (ending in /),
# in one call. cp, not sync: sync would also need s3:ListBucket.
copy_logs() {
  aws_cli s3 cp --only-show-errors --recursive --exclude exit-status.json "$1" "$2"
}

# copy_file FILE DEST: one file to the S3 URI DEST.
copy_file() {
  aws_cli s3 cp --only-show-errors "$1" "$2"
}

# upload WHAT DEST COMMAND...: runs COMMAND (an upload of WHAT to DEST) up to UPLOAD_ATTEMPTS
# times, 1 s, 2 s… apart, logging each failure; returns 1 when every attempt failed.
upload() {
  local what="$1" dest="$2" attempt
  shift 2
  for ((attempt = 1; ; attempt++)); do
    if "$@" 2>"$scratch/aws.err"; then
      log "uploaded $what to $dest"
      return 0
    fi
    log "upload of $what to $dest failed (attempt $attempt of $UPLOAD_ATTEMPTS): $(last_line "$scratch/aws.err")"
    ((attempt < UPLOAD_ATTEMPTS)) || return 1
    sleep "$attempt"
  done
}
