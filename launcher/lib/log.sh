# shellcheck shell=bash
# first-boot's step lines: one per step, with a UTC timestamp, to the journal (stdout) and to
# first-boot.log. Sourced by first-boot (and the bats tests), never run.

# Where log lines go besides stdout; set by first-boot (or a test) before any function here runs.
declare -g boot_log

log() {
  local line
  line="$(date -u +%Y-%m-%dT%H:%M:%SZ) first-boot: $*"
  printf '%s\n' "$line"
  printf '%s\n' "$line" >>"$boot_log" 2>/dev/null || true
}

now_iso() {
  date -u +%Y-%m-%dT%H:%M:%SZ
}

# last_line FILE: the last non-empty line of a command's error output, for one-line messages.
last_line() {
  grep -v '^[[:space:]]*$' "$1" 2>/dev/null | tail -n 1 || true
}
