# shellcheck shell=bash
# The instance metadata service, IMDSv2 only: every request carries the session token. Sourced by
# first-boot (and the bats tests), never run.

# Process-wide state, set by first-boot (or a test) before any function here runs: the service's
# base URL, the session token (imds_new_token sets it), the scratch directory for errors.
declare -g imds_endpoint imds_token scratch

# imds_new_token: a fresh session token in imds_token; curl's error in $scratch/imds.err.
imds_new_token() {
  # Retries cover the first seconds of a boot, when the metadata service may not answer yet.
  imds_token="$(curl -sS -f -X PUT --connect-timeout 2 --max-time 5 \
    --retry 5 --retry-delay 1 --retry-connrefused \
    -H 'X-aws-ec2-metadata-token-ttl-seconds: 21600' "$imds_endpoint/latest/api/token" 2>"$scratch/imds.err")"
}

# imds_get PATH OUT: the body goes to OUT. Returns 0 when found, 1 on 404, 2 on any other answer.
imds_get() {
  local path="$1" out="$2" code attempt
  for attempt in 1 2; do
    code="$(curl -sS -o "$out" -w '%{http_code}' --connect-timeout 2 --max-time 5 \
      --retry 3 --retry-delay 1 -H "X-aws-ec2-metadata-token: $imds_token" \
      "$imds_endpoint/$path" 2>"$scratch/imds.err")" || code=000
    case "$code" in
      200) return 0 ;;
      404) return 1 ;;
      # The token lives 6 h and a job may run longer: get a new one and ask once more.
      401) ((attempt == 1)) && imds_new_token || return 2 ;;
      *) return 2 ;;
    esac
  done
  return 2
}

# imds_value PATH: the value, on stdout; returns 1 when there is none.
imds_value() {
  imds_get "$1" "$scratch/value" || return 1
  cat "$scratch/value"
}

# spot_notice OUT: returns 0 with EC2's interruption notice (JSON) in OUT when it has scheduled
# one for this spot instance; non-zero when there is none or the service did not answer.
spot_notice() {
  imds_get latest/meta-data/spot/instance-action "$1"
}

# spot_action NOTICE: what the notice file says EC2 will do: terminate, stop or hibernate
# (terminate when it does not say, as for the one-time requests ami launch makes).
spot_action() {
  jq -r '.action // "terminate"' "$1" 2>/dev/null || echo terminate
}

# imds_tag KEY: the instance tag's value, on stdout. Returns 1 when the instance has no such tag or
# its tags are not in the metadata (launched without InstanceMetadataTags=enabled: both are 404),
# 2 when the service did not answer.
imds_tag() {
  local code=0
  imds_get "latest/meta-data/tags/instance/$1" "$scratch/tag" || code=$?
  ((code == 0)) || return "$code"
  cat "$scratch/tag"
}

# spot_deadline NOTICE: when EC2 acts on the notice, in seconds since the epoch (its "time"); empty
# when the notice does not say.
spot_deadline() {
  local time
  time="$(jq -r '.time // empty' "$1" 2>/dev/null)" || return 0
  if [[ -n "$time" ]]; then
    date -d "$time" +%s 2>/dev/null || true
  fi
}
