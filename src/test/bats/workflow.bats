#!/usr/bin/env bats
# The nightly workflow: valid for GitHub (a real validator), and shaped as promised.
# shellcheck disable=SC2016 # ${{ … }} is the workflow's own syntax, matched literally

setup() {
  repo="$(cd "$BATS_TEST_DIRNAME/../../.." && pwd)"
  wf="$repo/.github/workflows/nightly-rebake.yml"
  validator="${ACTION_VALIDATOR:?run through scripts/test, which installs the validator}"
}

@test "the workflow passes the validator, and a broken copy does not" {
  run "$validator" "$wf"
  [ "$status" -eq 0 ]
  sed 's/cancel-in-progress: false/cancel-in-progress: sometimes/' "$wf" >"$BATS_TEST_TMPDIR/broken.yml"
  run "$validator" "$BATS_TEST_TMPDIR/broken.yml"
  [ "$status" -ne 0 ]
}

@test "nightly and manual triggers, a matrix of projects, one concurrency group per project" {
  grep -q '^  schedule:' "$wf"
  grep -q '^  workflow_dispatch:' "$wf"
  grep -q 'project: ${{ fromJSON(needs.projects.outputs.names) }}' "$wf"
  grep -q 'fail-fast: false' "$wf"
  grep -q 'group: ami-rebake-${{ matrix.project }}' "$wf"
  grep -q 'cancel-in-progress: false' "$wf"
}

@test "each project's bake logs are kept as an artifact, also when the bake failed" {
  grep -q 'scripts/nightly-rebake --project "${{ matrix.project }}" --log-dir bake-logs' "$wf"
  grep -A6 'name: bake-logs-${{ matrix.project }}' "$wf" | grep -q 'path: bake-logs/'
  grep -B3 'name: bake-logs-${{ matrix.project }}' "$wf" | grep -q 'if: always()'
  # the history job takes only the histories
  grep -q 'pattern: history-\*' "$wf"
}

@test "credentials come from OIDC, never from stored keys" {
  grep -q 'id-token: write' "$wf"
  grep -q 'role-to-assume: ${{ vars.AMI_PIPELINE_ROLE_ARN }}' "$wf"
  run grep -E 'aws-access-key-id|aws-secret-access-key|AWS_SECRET_ACCESS_KEY' "$wf"
  [ "$status" -ne 0 ]
}

@test "the matrix is every project file" {
  run "$repo/scripts/nightly-rebake" --list-json
  [ "$status" -eq 0 ]
  # shellcheck disable=SC2012 # project names are [a-z0-9-]
  expected="$(cd "$repo/packer/projects" && ls ./*.json | sed 's|^\./||; s|\.json$||' | jq -R . | jq -cs .)"
  [ "$output" = "$expected" ]
}

@test "the IAM policy documents are valid JSON with statements" {
  for f in "$repo"/scripts/iam/*.json; do
    run jq -e '.Version == "2012-10-17" and (.Statement | length > 0)' "$f"
    [ "$status" -eq 0 ]
  done
}
