# shellcheck shell=bash
# The end of a run: the deletion of a recovering run's fleet, exit-status.json, the last uploads
# (checkpoint, logs, exit status, run.json), the stamp that keeps a finished job from running
# again, the switch of the fleet to on-demand, and the power-off. Sourced by first-boot (and the
# bats tests), never run.

# The exit code recorded when the job never started (the convention of GNU timeout).
EXIT_SETUP_FAILED=125
# The exit code recorded when a recovering run has used up its attempts (EX_TEMPFAIL).
# shellcheck disable=SC2034 # read by first-boot
EXIT_GAVE_UP=75

# Process-wide state, set by first-boot before any function here runs: its settings (paths, the
# power-off command, how long uploads are retried) and what is known of the run so far (finish
# reports whatever that is).
declare -g status_file log_dir stamp poweroff_command scratch upload_retry_seconds
declare -g started_at instance_id ami_id instance_type market run_id attempt project nodes recovering
declare -g log_destination run_uri terminate_on_exit job_started stopping run_statuses run_ended
declare -g on_demand_after

# exit_status_json CODE REASON: exit-status.json (the contract).
exit_status_json() {
  jq -nc --argjson exitCode "$1" --arg reason "$2" --arg startedAt "$started_at" \
    --arg endedAt "$(now_iso)" --arg instanceId "$instance_id" --arg amiId "$ami_id" \
    --arg runId "$run_id" --argjson attempt "$attempt" --arg instanceType "$instance_type" \
    --arg market "$market" \
    '{exitCode: $exitCode, reason: $reason, startedAt: $startedAt, endedAt: $endedAt,
      instanceId: $instanceId, amiId: $amiId, runId: $runId, attempt: $attempt, instanceType: $instanceType,
      market: (if $market == "spot" or $market == "on-demand" then $market else null end)}'
}

# finish CODE REASON: reports the run and ends the script. REASON is one of exited, timeout,
# spot-interruption, setup-failed, cancelled, gave-up (the exit-status.json contract).
finish() {
  local code="$1" reason="$2" status
  # A setup that failed while the attempts were being counted waits for the count: a run that had
  # already ended writes nothing.
  await_lookups
  [[ -z "$run_ended" ]] || end_ended_run
  status="$(exit_status_json "$code" "$reason")"
  # Uploaded from memory: a local copy that cannot be written costs nothing but this line.
  printf '%s\n' "$status" >"$status_file" 2>/dev/null || log "error: writing $status_file failed"
  log "run ended: reason $reason, exit code $code"
  set_upload_deadline "$upload_retry_seconds"
  if [[ "$recovering" == true ]] && ends_run "$reason" true; then
    # First: until the fleet is gone, EC2 would replace this instance once it powers off.
    delete_run_fleet || true
  fi
  if [[ -n "$log_destination" ]]; then
    if [[ "$job_started" == true ]]; then
      save_checkpoint || true
    fi
    upload "the logs" "$log_destination" copy_logs "$log_dir" "$log_destination" || true
    # After the logs, so its presence means the logs before it are complete.
    if upload exit-status.json "$log_destination" put_json "$status" "${log_destination}exit-status.json"; then
      if ends_run "$reason" "$recovering"; then
        write_run_summary "$status" || true
      fi
    else
      log "the exit status is only on this instance, in $status_file"
    fi
  else
    log "no S3 location to upload to; the results are only on this instance, in $log_dir"
  fi
  case "$reason" in
    exited | timeout | cancelled | gave-up)
      # The job has had its run: later boots of this instance do nothing.
      printf '%s %s\n' "$(now_iso)" "$reason" >"$stamp"
      ;;
    *)
      # Interrupted or never started: a restarted instance tries again.
      log "not marked as finished: the next boot of this instance runs the job again"
      ;;
  esac
  if [[ "$reason" == spot-interruption && "$recovering" == true ]] && on_demand_due "$attempt" "$on_demand_after"; then
    log "attempt $attempt of run $run_id was interrupted and the run goes on demand after attempt $on_demand_after"
    fleet_to_on_demand || true
  fi
  leave_instance "$reason"
  ((code == 0)) && exit 0
  exit 1
}

# leave_instance REASON: powers off, or says why not: after a spot notice EC2 acts itself unless
# it terminates; the system may be stopping the instance already; terminateOnExit may be false.
leave_instance() {
  local reason="$1"
  if [[ "$reason" == spot-interruption && "$(spot_action "$scratch/spot")" != terminate ]]; then
    # EC2 will stop or hibernate the instance so the job can resume on restart; powering off here
    # (shutdown behaviour terminate) would end it for good.
    log "leaving the instance to EC2's spot $(spot_action "$scratch/spot")"
  elif [[ "$stopping" == true ]]; then
    log "the system is already stopping this instance"
  elif [[ "$terminate_on_exit" == true ]]; then
    # Nothing is left to do when the power-off stops the unit.
    trap - TERM
    power_off
  else
    log "terminateOnExit is false: the instance stays up"
  fi
}

# end_ended_run: a recovering run that has already ended (run_ended says why) does not run its
# job again and writes no results: its fleet is deleted (should it still be there) and the
# instance powers off as configured. Exits 0.
end_ended_run() {
  log "run $run_id has already ended ($run_ended): the job does not run again and nothing is uploaded"
  set_upload_deadline "$upload_retry_seconds"
  delete_run_fleet || true
  leave_instance ended
  exit 0
}

# write_run_summary STATUS: run.json beside the instances' folders, from the exit statuses under
# the run's folder and this instance's own (STATUS), so the last node to end writes it whole.
write_run_summary() {
  local own="$1" statuses summary
  run_exit_statuses "$run_uri" || {
    log "run.json not written: the run's exit statuses could not be read"
    return 1
  }
  statuses="$(jq -c --argjson own "$own" '[.[] | select(.instanceId != $own.instanceId)] + [$own]' <<<"$run_statuses")"
  summary="$(run_summary "$statuses" "$run_id" "$project" "$nodes")"
  upload run.json "$run_uri" put_json "$summary" "${run_uri}run.json"
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
# the instance stays up so the journal (journalctl -u ami-first-boot) and the console can say what
# went wrong.
cannot_start() {
  log "error: $*"
  log "nothing uploaded and no power-off: the run configuration is needed for both"
  exit 1
}
