# shellcheck shell=bash
# first-boot's step lines: one per step, with a UTC timestamp in milliseconds (how long each step
# took can be read off the log, e.g. a checkpoint's upload), to the journal (stdout), to
# first-boot.log and to the console, so a run that cannot reach S3 still says why (on EC2 the
# console is what `aws ec2 get-console-output` shows). Sourced by first-boot (and the bats tests),
# never run.

# Where log lines go besides stdout; set by first-boot (or a test) before any function here runs.
# console is skipped silently when it cannot be opened (no console, or not writable).
declare -g boot_log console

log() {
  local line
  line="$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ) first-boot: $*"
  printf '%s\n' "$line" 2>/dev/null || true
  # 2>/dev/null first: it also silences bash's complaint when the file cannot be opened.
  printf '%s\n' "$line" 2>/dev/null >>"$boot_log" || true
  if [[ -n "${console:-}" ]]; then
    printf '%s\n' "$line" 2>/dev/null >>"$console" || true
  fi
}

now_iso() {
  date -u +%Y-%m-%dT%H:%M:%SZ
}

# now_seconds: the clock deadlines are measured with (seconds since the epoch); one function, so
# tests can move it along with a fake sleep.
now_seconds() {
  date +%s
}

# last_line FILE: the last non-empty line of a command's error output, for one-line messages.
last_line() {
  grep -v '^[[:space:]]*$' "$1" 2>/dev/null | tail -n 1 || true
}
