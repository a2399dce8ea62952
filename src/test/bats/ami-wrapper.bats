#!/usr/bin/env bats
# scripts/ami: builds the jar when needed, keeps an AppCDS archive that matches the jar, and never
# lets the JVM's own messages into the command's output.

setup() {
  repo="$(cd "$BATS_TEST_DIRNAME/../../.." && pwd)"
  jar="$repo/target/ami.jar"
  archive="$repo/target/ami.jsa"
  help_archive="$repo/target/ami-help.jsa"
  "$repo/scripts/ami" --version >/dev/null
}

# A command that fails on bad input before any AWS call: it runs the full archive.
no_such_project() {
  "$repo/scripts/ami" bake --project nope --region us-east-1
}

@test "the first run makes the archive; the output is the command's alone" {
  rm -f "$archive"
  run no_such_project
  [ "$status" -eq 2 ]
  [ "$output" = "ami: no project file $repo/packer/projects/nope.json (projects here: demo, ml); create it or check --projects-dir" ]
  [ -s "$archive" ]
}

@test "help and version map a small archive of their own, not the full one" {
  rm -f "$archive" "$help_archive"
  run "$repo/scripts/ami" --version
  [ "$status" -eq 0 ]
  [ "$output" = "ami-pipeline 0.1.0" ]
  [ -s "$help_archive" ]
  [ ! -e "$archive" ]
  run "$repo/scripts/ami" prune --help
  [ "$status" -eq 0 ]
  [[ "$output" == *"--keep"* ]]
  [ ! -e "$archive" ]
  no_such_project || true
  (($(stat -c %s "$help_archive") * 5 < $(stat -c %s "$archive")))
}

@test "a rebuilt jar gets a new archive" {
  no_such_project || true
  touch -d '2000-01-01' "$archive" "$help_archive"
  run "$repo/scripts/ami" --version
  [ "$status" -eq 0 ]
  [ "$output" = "ami-pipeline 0.1.0" ]
  [ "$help_archive" -nt "$jar" ]
  run no_such_project
  [ "$status" -eq 2 ]
  [ "$archive" -nt "$jar" ]
}

@test "a stale archive from another jar is ignored without a word" {
  cp "$archive" "$BATS_TEST_TMPDIR/keep.jsa"
  printf 'not an archive' >"$archive"
  touch "$archive"
  run java -XX:SharedArchiveFile="$archive" '-Xlog:cds*=off' -Xshare:auto -jar "$jar" --version
  cp "$BATS_TEST_TMPDIR/keep.jsa" "$archive"
  [ "$status" -eq 0 ]
  [ "$output" = "ami-pipeline 0.1.0" ]
}

@test "AMI_NO_CDS runs without the archive" {
  rm -f "$archive"
  AMI_NO_CDS=1 run "$repo/scripts/ami" --version
  [ "$status" -eq 0 ]
  [ "$output" = "ami-pipeline 0.1.0" ]
  [ ! -e "$archive" ]
}

@test "defaults are the repository's from any working directory" {
  cd "$BATS_TEST_TMPDIR"
  run "$repo/scripts/ami" bake --project nope --region us-east-1
  [ "$status" -eq 2 ]
  [[ "$output" == *"no project file $repo/packer/projects/nope.json"* ]]
}
