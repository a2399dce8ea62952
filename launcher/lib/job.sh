# shellcheck shell=bash
# The job: run it as the run user in its own process group, watch it (spot notice, timeout,
# periodic copy of the logs), stop it, and finish the run with the reason it ended. Sourced by
# first-boot (and the bats tests), never run.

SPOT_POLL_SECONDS=5
# The exit code recorded when the job ran past its timeout (the convention of GNU timeout).
EXIT_TIMEOUT=124

# Process-wide state, set by first-boot before any function here runs: its settings
# (grace_seconds, log_sync_seconds, log_dir, job_log), the run's S3 location and scratch directory,
# and the job as first-boot's steps prepared it (command, user, work dir, user switch, environment).
declare -g grace_seconds log_sync_seconds log_dir job_log log_destination scratch
declare -g job_command job_user work_dir as_user job_env
# The job's pid (= its process group), for the TERM trap.
declare -g job_pid=""

# run_job TIMEOUT_SECONDS: runs the job with the watcher beside it (0 = no timeout) and finishes
# the run; never returns.
run_job() {
  local timeout_seconds="$1" job_out tee_pid watcher_pid code=0 done_pid
  exec {job_out}> >(tee -a "$job_log")
  tee_pid=$!
  log "running the job as ${job_user}: $job_command"
  # setsid: the job gets its own process group, so SIGTERM reaches everything it started.
  (cd "$work_dir" && exec setsid "${as_user[@]}" env -i "${job_env[@]}" bash -c "$job_command") \
    </dev/null >&"$job_out" 2>&1 {job_out}>&- &
  job_pid=$!
  exec {job_out}>&-
  trap on_term TERM
  watch_job "$job_pid" "$timeout_seconds" &
  watcher_pid=$!

  # wait returns early when a trapped signal arrives; -p names the job only when it really ended.
  while :; do
    code=0
    wait -n -p done_pid "$job_pid" || code=$?
    [[ -n "${done_pid:-}" ]] && break
  done
  trap - TERM
  kill "$watcher_pid" 2>/dev/null || true
  wait "$watcher_pid" 2>/dev/null || true
  # Whatever the job left running in its group ends with it (and so lets go of the log pipe).
  kill -TERM -- "-$job_pid" 2>/dev/null && sleep 1 && { kill -KILL -- "-$job_pid" 2>/dev/null || true; }
  wait "$tee_pid" 2>/dev/null || true
  log "the job exited with code $code"

  case "$(cat "$scratch/stop-reason" 2>/dev/null)" in
    spot-interruption) finish "$code" spot-interruption ;;
    timeout) finish "$EXIT_TIMEOUT" timeout ;;
    shutdown)
      upload "the logs" "$log_destination" copy_logs "$log_dir" "$log_destination" || true
      log "the job was stopped before it finished; it runs again on the next boot"
      exit 1
      ;;
    *) finish "$code" exited ;;
  esac
}

# watch_job PGID TIMEOUT_SECONDS: in the background while the job runs: the spot interruption
# notice (kept in $scratch/spot), the timeout (0 = none) and the periodic copy of the logs to S3.
# On a notice or the timeout it writes the reason to $scratch/stop-reason and stops the job's
# process group.
watch_job() {
  local pgid="$1" timeout_seconds="$2" deadline=0 next_sync=0 now nap due child=""
  trap '[[ -n "$child" ]] && kill "$child" 2>/dev/null; exit 0' TERM
  ((timeout_seconds > 0)) && deadline=$(($(date +%s) + timeout_seconds))
  ((log_sync_seconds > 0)) && next_sync=$(($(date +%s) + log_sync_seconds))
  while :; do
    # Until the next poll, the deadline or the next copy of the logs, whichever comes first.
    nap="$SPOT_POLL_SECONDS"
    now="$(date +%s)"
    for due in "$deadline" "$next_sync"; do
      ((due > 0 && due - now < nap)) && nap=$((due > now ? due - now : 0))
    done
    # In the background so the TERM trap runs at once.
    sleep "$nap" &
    child=$!
    wait "$child" || true
    child=""
    if spot_notice "$scratch/spot"; then
      log "spot interruption notice: $(tr -d '\n' <"$scratch/spot")"
      echo spot-interruption >"$scratch/stop-reason"
      stop_job "$pgid"
      return 0
    fi
    now="$(date +%s)"
    if ((deadline > 0 && now >= deadline)); then
      log "the job reached its timeout of ${timeout_seconds}s"
      echo timeout >"$scratch/stop-reason"
      stop_job "$pgid"
      return 0
    fi
    if ((next_sync > 0 && now >= next_sync)); then
      copy_logs "$log_dir" "$log_destination" 2>/dev/null &
      child=$!
      wait "$child" || log "copying the logs to S3 failed; trying again in ${log_sync_seconds}s"
      child=""
      next_sync=$((now + log_sync_seconds))
    fi
  done
}

# stop_job PGID: SIGTERM to the job's process group, up to the grace period to end, then SIGKILL.
stop_job() {
  local pgid="$1" waited
  log "sending SIGTERM to the job; it has ${grace_seconds}s to finish"
  kill -TERM -- "-$pgid" 2>/dev/null || return 0
  for ((waited = 0; waited < grace_seconds; waited++)); do
    kill -0 -- "-$pgid" 2>/dev/null || return 0
    sleep 1
  done
  log "the job did not end within ${grace_seconds}s of SIGTERM: sending SIGKILL"
  kill -KILL -- "-$pgid" 2>/dev/null || true
}

# The system is stopping the unit (shutdown, systemctl stop): the job gets SIGTERM and the grace
# period, as for a spot notice (TimeoutStopSec in the unit leaves room for both and the upload).
# shellcheck disable=SC2317 # called by the TERM trap
on_term() {
  log "stopped by the system while the job runs: sending SIGTERM to the job"
  echo shutdown >"$scratch/stop-reason"
  # In the background: the main loop keeps waiting for the job meanwhile.
  [[ -n "$job_pid" ]] && stop_job "$job_pid" &
  return 0
}
