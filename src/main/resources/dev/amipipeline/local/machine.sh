#!/usr/bin/env bash
# Boots a root filesystem under systemd-nspawn for as long as its caller wants it, and never longer:
#
#   machine.sh NAME DIR [--overlay LOWER] -- systemd-nspawn ARGUMENTS...
#
# DIR is the machine's folder: its root filesystem is DIR/root, nspawn's output goes to
# DIR/console.log. With --overlay, DIR/root is an overlay of DIR/upper (the machine's changes, and
# what the caller put there before) over the read-only LOWER, mounted in this script's own mount
# namespace (the caller runs it under unshare --mount): the mount is never in the host's mount
# table and goes away with the last process of the namespace, however it ends.
#
# The caller holds this script's stdin open. The line "stop SECONDS" halts the machine with that
# grace ("stop" alone: the default grace); later stop lines change nothing. The end of stdin means
# the caller is gone, whatever ended it (kill -9 included: the kernel closes the pipe); the machine
# is halted the same way (a halt under way goes on with its grace) and DIR is deleted, since nobody
# else will, after running DIR/abandoned.sh when the caller left one. Exits with systemd-nspawn's
# exit code.
#
# Halting: SIGTERM to nspawn, which asks the container's systemd to shut down; after the grace
# every process of the container is killed. Killing nspawn alone would not do: the container runs
# on without it. The default grace, AMI_MACHINE_STOP_GRACE_SECONDS (10), suits a machine nobody
# waits for; a caller that wants the container's units to stop in order (a job saving its work)
# asks for their stop time.
set -uo pipefail

name="$1"
dir="$2"
shift 2
lower=""
if [[ "${1:-}" == --overlay ]]; then
  lower="$2"
  shift 2
fi
[[ "${1:-}" == -- ]] && shift
root="$dir/root"
exec 3<&0 </dev/null
grace="${AMI_MACHINE_STOP_GRACE_SECONDS:-10}"

if [[ -n "$lower" ]]; then
  if [[ "$(readlink /proc/self/ns/mnt)" == "$(readlink /proc/1/ns/mnt)" ]]; then
    echo "machine.sh: --overlay needs a mount namespace of its own (unshare --mount --propagation private)" >&2
    exit 2
  fi
  mkdir -p "$dir/upper" "$dir/work" "$root"
  if ! mount -t overlay overlay -o "lowerdir=$lower,upperdir=$dir/upper,workdir=$dir/work" "$root"; then
    echo "machine.sh: cannot mount the overlay of $lower on $root" >&2
    exit 1
  fi
fi

# Output to a file, not to the caller: a caller that died would leave nspawn writing into a broken
# pipe.
"$@" 3<&- >>"$dir/console.log" 2>&1 &
nspawn=$!
killer=""
abandoned=false

# Kills every process whose root directory is the machine's root (same device and inode, as seen
# through /proc/PID/root): the container's init, and with it its whole PID namespace.
kill_container() {
  local link
  while IFS= read -r link; do
    link="${link#/proc/}"
    kill -KILL "${link%/root}" 2>/dev/null
  done < <(find -L /proc -mindepth 2 -maxdepth 2 -name root -samefile "$root" 2>/dev/null)
}

# halt_machine [SECONDS]: SIGTERM to nspawn, and every process of the container killed after the
# grace (the default one without SECONDS). Once only: a halt under way keeps its grace.
# shellcheck disable=SC2317 # called by the traps
halt_machine() {
  local seconds="${1:-$grace}"
  [[ -n "$killer" ]] && return 0
  kill -TERM "$nspawn" 2>/dev/null || return 0
  (
    sleeper=""
    trap 'kill "$sleeper" 2>/dev/null; exit 0' TERM
    sleep "$seconds" 3<&- &
    sleeper=$!
    wait "$sleeper"
    kill_container
  ) &
  killer=$!
}
# A signal carries no number: the watcher leaves the asked-for grace in this file first.
halt_grace_file="$dir/halt-grace"
trap 'halt_machine "$(cat "$halt_grace_file" 2>/dev/null)"' USR1
trap 'abandoned=true; halt_machine' USR2

# The caller's end of the pipe, read in the background so that the main loop can wait for nspawn
# (through fd 3: a background command's stdin is /dev/null). It reads on after a stop line, so a
# caller that dies while its machine halts still has the folder deleted.
(
  while IFS= read -r line <&3; do
    if [[ "$line" =~ ^stop( ([0-9]+))?$ ]]; then
      echo "${BASH_REMATCH[2]:-$grace}" >"$halt_grace_file"
      kill -USR1 $$
    fi
  done
  kill -USR2 $$
) &
watcher=$!

while :; do
  wait "$nspawn"
  status=$?
  # wait returns early when a trapped signal arrives; only a reaped nspawn is gone for good.
  kill -0 "$nspawn" 2>/dev/null || break
done

# From here on the machine is down: a late word from the caller changes nothing.
trap '' USR1 USR2
kill "$watcher" 2>/dev/null
[[ -n "$killer" ]] && kill -TERM "$killer" 2>/dev/null
wait 2>/dev/null
# nspawn killed from outside leaves its container and its propagation folder behind.
kill_container
rm -rf "/run/systemd/nspawn/propagate/$name"
# A process of the container killed just now may still hold the overlay for a moment: detach it
# then (lazily; the namespace is this script's alone), so the rm below never walks into it.
if [[ -n "$lower" ]] && ! umount "$root" 2>/dev/null; then
  umount --lazy "$root"
fi
if [[ "$abandoned" == true ]]; then
  # What the caller leaves for when it is gone before its machine (ending the instance the machine
  # stood for): a script in the folder, run once the machine is down. Nobody reads its output.
  if [[ -f "$dir/abandoned.sh" ]]; then
    timeout 30 bash "$dir/abandoned.sh" </dev/null >/dev/null 2>&1
  fi
  rm -rf "$dir"
fi
exit "$status"
