# shellcheck shell=bash
# The job: run it as the run user in its own process group, watch it (spot notice, timeout,
# periodic copies of the logs and the checkpoint), stop it, and finish the run with the reason it
# ended. Sourced by first-boot (and the bats tests), never run.

SPOT_POLL_SECONDS=5
# The first copy of the logs comes this soon after the job starts, whatever the interval after it:
# whoever follows the run (launch --follow, logs --follow) sees its first lines in seconds.
FIRST_LOG_COPY_SECONDS=5
# The exit code recorded when the job ran past its timeout (the convention of GNU timeout).
EXIT_TIMEOUT=124
# How long systemd gives the unit once it stops it (TimeoutStopSec in ami-first-boot.service):
# the job's grace period and the last uploads must fit in it.
STOP_TIMEOUT_SECONDS=150
# Uploads end this long before EC2 acts on a spot notice or before the unit's stop timeout runs out.
DEADLINE_MARGIN_SECONDS=10

# Process-wide state, set by first-boot before any function here runs: its settings
# (grace_seconds, log_sync_seconds, log_dir, job_log), the run's S3 locations and scratch directory,
# the checkpoint (checkpoint_dir empty: none), and the job as first-boot's steps prepared it
# (command, user, work dir, user switch, environment).
declare -g grace_seconds log_sync_seconds log_dir job_log log_destination scratch
declare -g checkpoint_dir checkpoint_uri checkpoint_sync_seconds
declare -g job_command job_user work_dir as_user job_env
# The job's pid (= its process group), for the TERM trap; whether it was started; whether the
# system is stopping the unit (then it is not first-boot's to power off).
declare -g job_pid="" job_started=false stopping=false

# run_job TIMEOUT_SECONDS: runs the job with the watcher beside it (0 = no timeout) and finishes
# the run; never returns.
run_job() {
  local timeout_seconds="$1" job_out tee_pid watcher_pid code=0 done_pid notice_at
  exec {job_out}> >(tee -a "$job_log")
  tee_pid=$!
  log "running the job as ${job_user}: $job_command"
  # setsid: the job gets its own process group, so SIGTERM reaches everything it started.
  (cd "$work_dir" && exec setsid "${as_user[@]}" env -i "${job_env[@]}" bash -c "$job_command") \
    </dev/null >&"$job_out" 2>&1 {job_out}>&- &
  job_pid=$!
  # shellcheck disable=SC2034 # read by finish
  job_started=true
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
  # From here on a stop only brings the uploads' deadline closer: they are what is left to do.
  trap on_term_after_job TERM
  kill "$watcher_pid" 2>/dev/null || true
  wait "$watcher_pid" 2>/dev/null || true
  # Whatever the job left running in its group ends with it (and so lets go of the log pipe).
  kill -TERM -- "-$job_pid" 2>/dev/null && sleep 1 && { kill -KILL -- "-$job_pid" 2>/dev/null || true; }
  wait "$tee_pid" 2>/dev/null || true
  log "the job exited with code $code"

  case "$(cat "$scratch/stop-reason" 2>/dev/null)" in
    spot-interruption)
      notice_at="$(spot_deadline "$scratch/spot")"
      if [[ -n "$notice_at" ]]; then
        set_upload_deadline $((notice_at - DEADLINE_MARGIN_SECONDS - $(now_seconds)))
      fi
      finish "$code" spot-interruption
      ;;
    timeout) finish "$EXIT_TIMEOUT" timeout ;;
    cancelled) finish "$code" cancelled ;;
    shutdown)
      # A plain stop: the job runs again on the next boot; what it has done so far goes to S3.
      save_checkpoint || true
      upload "the logs" "$log_destination" copy_logs "$log_dir" "$log_destination" || true
      log "the job was stopped before it finished; it runs again on the next boot"
      exit 1
      ;;
    *) finish "$code" exited ;;
  esac
}

# save_checkpoint: the checkpoint folder's changes up to its S3 prefix, retried until the upload
# deadline; nothing without a checkpoint.
save_checkpoint() {
  [[ -n "$checkpoint_dir" ]] || return 0
  upload "the checkpoint" "$checkpoint_uri" sync_dir "$checkpoint_dir" "$checkpoint_uri"
}

# watch_job PGID TIMEOUT_SECONDS: in the background while the job runs: the spot interruption
# notice (kept in $scratch/spot), the timeout (0 = none) and the periodic copies of the logs and
# the checkpoint to S3 (each in the background, one at a time, so a slow copy never delays the
# notice). On a notice or the timeout it writes the reason to $scratch/stop-reason and stops the
# job's process group. Copies still under way when it ends are stopped: the end of the run copies
# everything again.
watch_job() {
  local pgid="$1" timeout_seconds="$2" deadline=0 next_logs=0 next_checkpoint=0 now nap due
  local child="" logs_pid="" checkpoint_pid=""
  trap '[[ -n "$child" ]] && kill "$child" 2>/dev/null; stop_copies "$logs_pid" "$checkpoint_pid"; exit 0' TERM
  now="$(date +%s)"
  ((timeout_seconds > 0)) && deadline=$((now + timeout_seconds))
  ((log_sync_seconds > 0)) &&
    next_logs=$((now + (log_sync_seconds < FIRST_LOG_COPY_SECONDS ? log_sync_seconds : FIRST_LOG_COPY_SECONDS)))
  [[ -n "$checkpoint_dir" ]] && ((checkpoint_sync_seconds > 0)) && next_checkpoint=$((now + checkpoint_sync_seconds))
  while :; do
    # Until the next poll, the deadline or the next copy, whichever comes first.
    nap="$SPOT_POLL_SECONDS"
    now="$(date +%s)"
    for due in "$deadline" "$next_logs" "$next_checkpoint"; do
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
      stop_copies "$logs_pid" "$checkpoint_pid"
      stop_job "$pgid"
      return 0
    fi
    now="$(date +%s)"
    if ((deadline > 0 && now >= deadline)); then
      log "the job reached its timeout of ${timeout_seconds}s"
      echo timeout >"$scratch/stop-reason"
      stop_copies "$logs_pid" "$checkpoint_pid"
      stop_job "$pgid"
      return 0
    fi
    if ((next_logs > 0 && now >= next_logs)) && ! running "$logs_pid"; then
      sync_once --quiet "the logs" "$log_destination" copy_logs "$log_dir" "$log_destination" &
      logs_pid=$!
      next_logs=$((now + log_sync_seconds))
    fi
    if ((next_checkpoint > 0 && now >= next_checkpoint)) && ! running "$checkpoint_pid"; then
      sync_once "the checkpoint" "$checkpoint_uri" sync_dir "$checkpoint_dir" "$checkpoint_uri" &
      checkpoint_pid=$!
      next_checkpoint=$((now + checkpoint_sync_seconds))
    fi
  done
}

# running PID: true while the background copy PID has not ended (an empty PID never runs).
running() {
  [[ -n "$1" ]] && kill -0 "$1" 2>/dev/null
}

# stop_copies PID...: ends the background copies and the AWS CLI each one runs.
stop_copies() {
  local pid
  for pid in "$@"; do
    running "$pid" && kill_tree "$pid"
  done
  return 0
}

# kill_tree PID: SIGTERM to PID and every process under it. Killing a copy's subshell alone would
# leave its AWS CLI running on, beside the uploads at the end of the run. Parents first: a shell
# that outlived its child would report the kill ("Terminated") in the journal.
kill_tree() {
  local child children=()
  read -r -a children < <(cat /proc/"$1"/task/*/children 2>/dev/null | tr '\n' ' ') || true
  kill "$1" 2>/dev/null || true
  for child in "${children[@]}"; do
    kill_tree "$child"
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

# The system is stopping the unit (shutdown, systemctl stop, or `ami cancel` terminating the
# instance): the job gets SIGTERM and the grace period, as for a spot notice, and the uploads
# after it must end before TimeoutStopSec runs out. The instance tag ami-pipeline:cancelled, read
# now, tells a cancel from a plain stop.
# shellcheck disable=SC2317 # called by the TERM trap
on_term() {
  local cancelled_at
  stopped_by_the_system
  log "stopped by the system while the job runs: sending SIGTERM to the job"
  echo shutdown >"$scratch/stop-reason"
  # In the background: the main loop keeps waiting for the job meanwhile.
  [[ -n "$job_pid" ]] && stop_job "$job_pid" &
  if cancelled_at="$(imds_tag ami-pipeline:cancelled)"; then
    log "the instance is tagged ami-pipeline:cancelled=$cancelled_at: the run was cancelled"
    echo cancelled >"$scratch/stop-reason"
  fi
  return 0
}

# shellcheck disable=SC2317 # called by the TERM trap
on_term_after_job() {
  stopped_by_the_system
  log "stopped by the system after the job: the uploads go on until ${STOP_TIMEOUT_SECONDS}s after the stop at most"
}

stopped_by_the_system() {
  # shellcheck disable=SC2034 # read by finish
  stopping=true
  set_upload_deadline $((STOP_TIMEOUT_SECONDS - DEADLINE_MARGIN_SECONDS))
}
