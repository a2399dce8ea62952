#!/usr/bin/env bats
# scripts/ami bake against scripts/local-aws: the demo project end to end, as a user runs it.

setup() {
  export AMI_LOCAL_STATE="$BATS_TEST_TMPDIR/state"
  repo="$(cd "$BATS_TEST_DIRNAME/../../.." && pwd)"
  history="$BATS_TEST_TMPDIR/ami-history.md"
  "$repo/scripts/local-aws" start
  eval "$("$repo/scripts/local-aws" env)"
  cd "$repo" || return 1
}

teardown() {
  "$repo/scripts/local-aws" stop >/dev/null 2>&1 || true
}

@test "bake demo: the AMI is in SSM, tagged, and in the history; then unchanged" {
  run scripts/ami bake --project demo --history "$history"
  [ "$status" -eq 0 ]
  [[ "$output" == *"local mode"* ]]
  [[ "$output" == *"demo: baked ami-"* ]]

  ami="$(aws ssm get-parameter --name /ami-pipeline/demo/ami-id --query Parameter.Value --output text)"
  [[ "$ami" == ami-* ]]
  # shellcheck disable=SC2016 # backticks are JMESPath literals, not a shell expansion
  run aws ec2 describe-images --image-ids "$ami" \
    --query 'Images[0].Tags[?Key==`ami-pipeline:project`].Value' --output text
  [ "$output" = "demo" ]
  grep -q "| demo | us-east-1 | \`$ami\` |.*| current |" "$history"

  run scripts/ami bake --project demo --if-changed --history "$history" --output json
  [ "$status" -eq 0 ]
  [ "$(jq -r .status <<<"$output")" = "unchanged" ]
  [ "$(jq -r .amiId <<<"$output")" = "$ami" ]
}

@test "bake with a packer that is not there: exit 4 and how to install it" {
  run scripts/ami bake --project demo --history "$history" --packer /nonexistent/packer
  [ "$status" -eq 4 ]
  [[ "$output" == *"apt-get install packer"* ]]
  run aws ssm get-parameter --name /ami-pipeline/demo/bake-lock
  [ "$status" -ne 0 ]
}
