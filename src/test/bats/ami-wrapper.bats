#!/usr/bin/env bats
# scripts/ami: builds the jar when needed, keeps an AppCDS archive that matches the jar, and never
# lets the JVM's own messages into the command's output.

setup() {
  repo="$(cd "$BATS_TEST_DIRNAME/../../.." && pwd)"
  jar="$repo/target/ami.jar"
  archive="$repo/target/ami.jsa"
  "$repo/scripts/ami" --version >/dev/null
}

@test "the first run makes the archive; the output is the command's alone" {
  rm -f "$archive"
  run "$repo/scripts/ami" --version
  [ "$status" -eq 0 ]
  [ "$output" = "ami-pipeline 0.1.0" ]
  [ -s "$archive" ]
}

@test "a rebuilt jar gets a new archive" {
  touch -d '2000-01-01' "$archive"
  run "$repo/scripts/ami" --version
  [ "$status" -eq 0 ]
  [ "$output" = "ami-pipeline 0.1.0" ]
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
