#!/usr/bin/env bats
# scripts/local-aws: start, env, a real AWS CLI call, stop; nothing of ours left running.

setup() {
  export AMI_LOCAL_STATE="$BATS_TEST_TMPDIR/state"
  repo="$(cd "$BATS_TEST_DIRNAME/../../.." && pwd)"
}

teardown() {
  "$repo/scripts/local-aws" stop >/dev/null 2>&1 || true
}

@test "start, env, describe-regions, stop" {
  run "$repo/scripts/local-aws" start
  [ "$status" -eq 0 ]
  port="$(cat "$AMI_LOCAL_STATE/port")"
  pid="$(cat "$AMI_LOCAL_STATE/pid")"

  eval "$("$repo/scripts/local-aws" env)"
  [ "$AWS_ENDPOINT_URL" = "http://127.0.0.1:$port" ]
  run aws ec2 describe-regions --query 'length(Regions)' --output text
  [ "$status" -eq 0 ]
  [ "$output" -gt 10 ]

  run "$repo/scripts/local-aws" status
  [ "$status" -eq 0 ]
  [[ "$output" == "running on http://127.0.0.1:$port"* ]]

  run "$repo/scripts/local-aws" stop
  [ "$status" -eq 0 ]
  run kill -0 "$pid"
  [ "$status" -ne 0 ]
  run pgrep -f "moto.*-p $port"
  [ "$status" -ne 0 ]
  run "$repo/scripts/local-aws" status
  [ "$status" -eq 1 ]
}

@test "start twice reuses the running server" {
  "$repo/scripts/local-aws" start
  first="$(cat "$AMI_LOCAL_STATE/pid")"
  run "$repo/scripts/local-aws" start
  [ "$status" -eq 0 ]
  [[ "$output" == *"already running"* ]]
  [ "$(cat "$AMI_LOCAL_STATE/pid")" = "$first" ]
}

@test "stop never kills a process it did not start" {
  mkdir -p "$AMI_LOCAL_STATE"
  sleep 300 &
  other=$!
  echo "$other" >"$AMI_LOCAL_STATE/pid"
  echo 1 >"$AMI_LOCAL_STATE/port"
  run "$repo/scripts/local-aws" stop
  [ "$status" -eq 0 ]
  kill -0 "$other"
  kill "$other"
}

@test "env without a running server fails with what to do" {
  run "$repo/scripts/local-aws" env
  [ "$status" -eq 1 ]
  [[ "$output" == *"scripts/local-aws start"* ]]
}

@test "unknown subcommand is a usage error" {
  run "$repo/scripts/local-aws" frobnicate
  [ "$status" -eq 2 ]
}
