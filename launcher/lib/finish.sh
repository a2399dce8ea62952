# shellcheck shell=bash
# The end of a run, whichever way it ends: exit-status.json, the uploads, the stamp that keeps a
# finished job from running again, the power-off. Sourced by first-boot (and the bats tests),
# never run.

# The exit code recorded when the job never started (the convention of GNU timeout).
EXIT_SETUP_FAILED=125

# Process-wide state, set by first-boot before any function here runs: its settings (paths, the
# power-off command) and what is known of the run so far (finish reports whatever that is).
declare -g status_file log_dir stamp poweroff_command scratch
declare -g started_at instance_id ami_id log_destination terminate_on_exit

write_exit_status() {
  local code="$1" reason="$2"
  jq -n --argjson exitCode "$code" --arg reason "$reason" --arg startedAt "$started_at" \
    --arg endedAt "$(now_iso)" --arg instanceId "$instance_id" --arg amiId "$ami_id" \
    '{exitCode: $exitCode, reason: $reason, startedAt: $startedAt, endedAt: $endedAt,
      instanceId: $instanceId, amiId: $amiId}' >"$status_file"
}

# finish CODE REASON: reports the run and ends the script. REASON is one of exited, timeout,
# spot-interruption, setup-failed (the exit-status.json contract).
finish() {
  local code="$1" reason="$2"
  write_exit_status "$code" "$reason" || log "error: writing $status_file failed"
  log "run ended: reason $reason, exit code $code"
  if [[ -n "$log_destination" ]]; then
    upload "the logs" "$log_destination" copy_logs "$log_dir" "$log_destination" || true
    # Last, so its presence means the logs before it are complete.
    upload exit-status.json "$log_destination" copy_file "$status_file" "${log_destination}exit-status.json" ||
      log "the results are only on this instance, in $log_dir"
  else
    log "no S3 location to upload to; the results are only on this instance, in $log_dir"
  fi
  case "$reason" in
    exited | timeout)
      # The job has had its run: later boots of this instance do nothing.
      printf '%s %s\n' "$(now_iso)" "$reason" >"$stamp"
      ;;
    *)
      # Interrupted or never started: a restarted instance tries again.
      log "not marked as finished: the next boot of this instance runs the job again"
      ;;
  esac
  if [[ "$reason" == spot-interruption && "$(spot_action "$scratch/spot")" != terminate ]]; then
    # EC2 will stop or hibernate the instance so the job can resume on restart; powering off here
    # (shutdown behaviour terminate) would end it for good.
    log "leaving the instance to EC2's spot $(spot_action "$scratch/spot")"
  elif [[ "$terminate_on_exit" == true ]]; then
    power_off
  else
    log "terminateOnExit is false: the instance stays up"
  fi
  ((code == 0)) && exit 0
  exit 1
}

power_off() {
  local argv
  read -r -a argv <<<"$poweroff_command"
  log "powering off ($poweroff_command)"
  "${argv[@]}" || log "error: the power-off command '$poweroff_command' failed; the instance stays up"
}

setup_failed() {
  log "error: $*"
  finish "$EXIT_SETUP_FAILED" setup-failed
}

# Before the run configuration is known there is nowhere to upload and no terminateOnExit to obey:
# the instance stays up so the journal (journalctl -u ami-first-boot) can say what went wrong.
cannot_start() {
  log "error: $*"
  log "nothing uploaded and no power-off: the run configuration is needed for both"
  exit 1
}
