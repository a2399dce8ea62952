#!/usr/bin/env bats
# scripts/demo for real, as a new user runs it: the whole story, in few enough lines to read.
# As root with systemd-nspawn (scripts/test) the image is provisioned and boots here; the first run
# on a machine also builds the local root once.

setup() {
  repo="$(cd "$BATS_TEST_DIRNAME/../../.." && pwd)"
}

@test "the demo tells the whole story in at most 150 lines (250 when it first builds the local root)" {
  out="$BATS_TEST_TMPDIR/demo.out"
  demo_status=0
  "$repo/scripts/demo" >"$out" 2>&1 || demo_status=$?
  run cat "$out" # shown when the test fails
  [ "$demo_status" -eq 0 ]

  count="$(wc -l <"$out")"
  limit=150
  grep -q '^\[local-root\] ' "$out" && limit=250
  echo "# scripts/demo: $count lines (at most $limit)" >&3
  [ "$count" -le "$limit" ]

  # plain lines: no terminal codes when the output is not a terminal
  if grep -q $'\e' "$out"; then
    echo "terminal codes in the output"
    return 1
  fi

  # the story: a bake that shows its steps and names its log, the unchanged rebake, the launch, list, prune
  # (and, with local instances, a training resumed after a spot interruption)
  grep -q '^\[bake demo [0-9][0-9]:[0-9][0-9]\] ==> amazon-ebs.image: Launching a source AWS instance' "$out"
  grep -q "^ami: Packer's full output: .*/bake-demo-.*\.log$" "$out"
  grep -q '^demo: baked ami-' "$out"
  grep -q '^demo: unchanged, ami-' "$out"
  grep -q '^AMI_PROJECT=demo$' "$out"
  grep -Eq "^Two more bakes .*: ami-[0-9a-f]+ in [0-9]+s, ami-[0-9a-f]+ in [0-9]+s$" "$out"
  grep -Eq '^Launched i-[0-9a-f]+ from ami-id version 1 \(ami-[0-9a-f]+\)' "$out"
  # ami list before the prune: the pinned first bake in use, the newest current
  grep -Eq '^ami-[0-9a-f]+ +demo-[0-9A-Za-z-]+ +[0-9: -]+ +in use +ami-id v1, in use by i-' "$out"
  grep -q 'current (ami-id v3)' "$out"
  grep -q '^1 image deregistered, 1 snapshot deleted' "$out"
  # what the package managers print stays in the logs
  if grep -E 'Selecting previously unselected|Preparing to unpack|update-alternatives|I: Retrieving' "$out"; then
    return 1
  fi

  if grep -q '^Local instances: the image is provisioned for real' "$out"; then
    grep -q '^\[bake demo [0-9:]*\]     amazon-ebs.image: 10-git: installed git version' "$out"
    grep -q '^hello from i-' "$out"
    grep -q '^job on i-.* ended: exit code 0 (exited)' "$out"
    # the run found again: in ami runs, and its log from S3 with where the run is
    grep -Eq '^demo-[0-9]{8}-[0-9]{6}-[0-9a-f]{4} +demo +.* succeeded +s3://ami-pipeline-demo-logs/runs/demo/demo-' "$out"
    grep -Eq '^run demo-[0-9]{8}-[0-9]{6}-[0-9a-f]{4}: succeeded; log: s3://' "$out"
    [ "$(grep -c '^hello from i-' "$out")" -eq 2 ]
    # the training: interrupted mid-way, attempt 2 goes on from the checkpoint and finishes
    grep -Eq '^attempt 1 stopped after epoch [1-5]$' "$out"
    grep -Eq '^attempt 2 starts after epoch [1-5]$' "$out"
    grep -q '^trained 6 epochs$' "$out"
    grep -Eq '^demo-[0-9]{8}-[0-9]{6}-[0-9a-f]{4} +demo +.* spot +2 \(1 recovery\) +succeeded ' "$out"
    # its fleet deleted in the emulator, its two instances ended, nothing left running here
    grep -Eq "^in the emulator: the run's fleet fleet-[0-9a-f-]+ deleted_[a-z]+; its instances i-[0-9a-f]+ terminated, i-[0-9a-f]+ terminated; machines left here: 0$" "$out"
  fi
}
