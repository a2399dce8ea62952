# shellcheck shell=bash
# Test helpers for launcher/first-boot and launcher/lib/ (loaded with `load helpers/launcher`):
# first-boot sourced into the test's shell (its libraries with it; main does not run), its
# settings read under a temp AMI_ROOT; fake binaries first on PATH; the IMDSv2 stand-in
# (scripts/bench/fake-imds.py) and a moto_server (scripts/local-aws) on loopback.

repo_root="$(cd "$BATS_TEST_DIRNAME/../../.." && pwd)"

# In setup(): a fresh root, fakebin first on PATH, first-boot sourced with its settings read and
# its scratch directory made. Power-offs are recorded in $CALLS; the console is the file $CONSOLE.
load_first_boot() {
  export AMI_ROOT="$BATS_TEST_TMPDIR/root"
  export CALLS="$BATS_TEST_TMPDIR/calls"
  export CONSOLE="$BATS_TEST_TMPDIR/console"
  export AMI_CONSOLE="$CONSOLE"
  fakebin="$BATS_TEST_TMPDIR/fakebin"
  mkdir -p "$AMI_ROOT" "$fakebin"
  : >"$CALLS"
  export PATH="$fakebin:$PATH"
  fake poweroff <<'FAKE'
#!/bin/sh
echo "poweroff $*" >>"$CALLS"
FAKE
  export AMI_POWEROFF="poweroff --no-wall"
  # shellcheck source=../../../../launcher/first-boot
  source "$repo_root/launcher/first-boot"
  read_settings
  mkdir -p "$log_dir" "$state_dir"
  scratch="$BATS_TEST_TMPDIR/scratch"
  mkdir -p "$scratch"
}

# fake NAME: the script on stdin becomes the command NAME, first on PATH.
fake() {
  cat >"$fakebin/$1"
  chmod +x "$fakebin/$1"
  hash -r
}

# fake_clock: sleep takes no time but moves now_seconds on by as much, and is recorded in $CALLS
# ("sleep N"). Shell functions, so they work in the test's shell and in bats' run.
# shellcheck disable=SC2317 # the functions are called by the code under test
fake_clock() {
  fake_now=1000000
  now_seconds() { echo "$fake_now"; }
  sleep() {
    echo "sleep $*" >>"$CALLS"
    fake_now=$((fake_now + $1))
  }
}

# spy NAME: NAME records each call (one line: NAME and its arguments) in $CALLS, then runs the real one.
spy() {
  local real
  real="$(PATH="${PATH#"$fakebin:"}" command -v "$1")"
  fake "$1" <<SPY
#!/usr/bin/env bash
echo "$1 \$*" >>"\$CALLS"
exec "$real" "\$@"
SPY
}

# start_imds [fake-imds.py options]: the IMDSv2 stand-in of instance i-0test (ami-0test, us-east-1)
# on a free loopback port, as first-boot's imds_endpoint; each request it answers is a line in
# $IMDS_REQUESTS: METHOD PATH STATUS. teardown stops it.
start_imds() {
  local port_file="$BATS_TEST_TMPDIR/imds.port" tries
  IMDS_REQUESTS="$BATS_TEST_TMPDIR/imds.requests"
  rm -f "$port_file"
  : >"$IMDS_REQUESTS"
  python3 "$repo_root/scripts/bench/fake-imds.py" --port-file "$port_file" --request-log "$IMDS_REQUESTS" \
    --instance-id i-0test --ami-id ami-0test --region us-east-1 "$@" </dev/null >/dev/null 2>&1 3>&- &
  imds_pid=$!
  for ((tries = 0; tries < 200; tries++)); do
    [[ -s "$port_file" ]] && break
    /bin/sleep 0.05
  done
  [[ -s "$port_file" ]] || { echo "the IMDS stand-in did not start" >&2; return 1; }
  imds_endpoint="http://127.0.0.1:$(cat "$port_file")"
}

stop_imds() {
  if [[ -n "${imds_pid:-}" ]]; then
    kill "$imds_pid" 2>/dev/null || true
    wait "$imds_pid" 2>/dev/null || true
  fi
}

# imds_requests LINE: how many times the stand-in answered that (METHOD PATH STATUS).
imds_requests() {
  grep -cxF "$1" "$IMDS_REQUESTS" || true
}

# In setup_file(): a moto_server for the whole file, its environment exported (AWS_ENDPOINT_URL,
# keys, region us-east-1) to every test. teardown_file stops it.
start_aws() {
  export AMI_LOCAL_STATE="$BATS_FILE_TMPDIR/aws"
  "$repo_root/scripts/local-aws" start >/dev/null 2>&1 3>&-
  eval "$("$repo_root/scripts/local-aws" env)"
}

stop_aws() {
  "$repo_root/scripts/local-aws" stop >/dev/null 2>&1 || true
}

# Every suite that loads this file shares one moto_server per file.
setup_file() {
  start_aws
}

teardown_file() {
  stop_aws
}

# A git repository at $1 whose main branch has one commit with the file hello.sh; prints the commit.
git_repo() {
  git init -q -b main "$1"
  printf '#!/bin/sh\necho hello from %s\n' "${1##*/}" >"$1/hello.sh"
  git -C "$1" add hello.sh
  git -C "$1" -c user.name=test -c user.email=test@example.invalid commit -q -m "hello"
  git -C "$1" rev-parse HEAD
}
