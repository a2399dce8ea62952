# shellcheck shell=bash
# The run an instance belongs to, seen from its results in S3: the attempt number (how many times
# a spot interruption has ended an attempt before), whether a recovering run has already ended or
# used up its attempts, and run.json, the summary of a run that has ended. Text in, text out: the
# exit statuses come as one JSON array (run_exit_statuses in aws.sh reads them). Sourced by
# first-boot (and the bats tests), never run.

# attempt_number STATUSES: 1 + the number of exit statuses whose reason is spot-interruption (each
# one a recovery).
attempt_number() {
  jq -r '1 + ([.[] | select(.reason == "spot-interruption")] | length)' <<<"$1"
}

# run_end STATUSES RUN_JSON: why the run has already ended, in one line, when it has: it has a
# run.json (written only when a run ends), or an instance of its last attempt ended for another
# reason than a spot interruption. Returns 1, printing nothing, while the run goes on.
run_end() {
  local why
  why="$(jq -rn --argjson statuses "$1" --arg summary "$2" '
    ($summary | try fromjson catch null) as $run
    | if ($run | type) == "object" and ($run.state // "") != "" then "its run.json says \($run.state)"
      else ($statuses | map(.attempt // 1) | max) as $last
        | [$statuses[] | select((.attempt // 1) == $last and .reason != "spot-interruption")] | first
        | if . == null then empty
          else "instance \(.instanceId) of attempt \($last) ended it: \(.reason)" end
      end')" || return 1
  [[ -n "$why" ]] || return 1
  printf '%s\n' "$why"
}

# out_of_attempts ATTEMPT MAX_ATTEMPTS: true when the attempt is past the run's attempts.
out_of_attempts() {
  (($1 > $2))
}

# on_demand_due ATTEMPT ON_DEMAND_AFTER: true when the attempt after this one is to run on demand
# (this attempt's number is at least ON_DEMAND_AFTER; empty: never).
on_demand_due() {
  [[ -n "$2" ]] && (($1 >= $2))
}

# ends_run REASON RECOVERING: true when an attempt that ended so ends its run: any end but a spot
# interruption of a run that recovers (RECOVERING true) and a plain stop (the job runs again on
# the next boot).
ends_run() {
  case "$1" in
    shutdown) return 1 ;;
    spot-interruption) [[ "$2" != true ]] ;;
    *) return 0 ;;
  esac
}

# run_summary STATUSES RUN_ID PROJECT NODES: run.json for the exit statuses found under the run's
# folder. Its state is the worst end among the instances of the last attempt (cancelled, gave up,
# setup failed, timed out, failed (code N), interrupted, succeeded), in the words `ami runs` shows.
run_summary() {
  jq -c --arg runId "$2" --arg project "$3" --argjson nodes "$4" '
    def state: if .reason == "exited" then (if .exitCode == 0 then "succeeded" else "failed (code \(.exitCode))" end)
      elif .reason == "timeout" then "timed out"
      elif .reason == "spot-interruption" then "interrupted"
      elif .reason == "setup-failed" then "setup failed"
      elif .reason == "gave-up" then "gave up"
      else .reason end;
    def severity: (if .reason == "exited" then (if .exitCode == 0 then "succeeded" else "failed" end) else .reason end)
      as $kind | ["cancelled", "gave-up", "setup-failed", "timeout", "failed", "spot-interruption", "succeeded"]
      | index($kind) // 0;
    [.[] | {instanceId, instanceType, market, attempt: (.attempt // 1), exitCode, reason, startedAt, endedAt}]
    | sort_by(.attempt, .startedAt) as $instances
    | ($instances | map(.attempt) | max // 1) as $attempts
    | ([$instances[] | select(.attempt == $attempts)] | min_by(severity)) as $worst
    | {runId: $runId, project: $project, state: ($worst | state),
       startedAt: ($instances | map(.startedAt) | min), endedAt: ($instances | map(.endedAt) | max),
       nodes: $nodes, attempts: $attempts, instances: $instances}' <<<"$1"
}
