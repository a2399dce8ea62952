package dev.amipipeline.runs;

import dev.amipipeline.results.ExitStatus;
import dev.amipipeline.results.ResultFolder;
import dev.amipipeline.results.ResultLayout;
import dev.amipipeline.results.RunId;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * One run as {@code ami runs}, {@code ami logs} and {@code ami cancel} see it: its instances across
 * attempts, its state and where its results are.
 *
 * @param startedAt its id's stamp, else the earliest time known of its instances; null when none is
 * @param endedAt the last exit status's end (or the cancel), null while it runs or when unknown
 * @param exitCode the code behind the state (the first non-zero one of a failed run), or null
 * @param folder the run's folder of results
 * @param recovering running because its fleet replaces interrupted instances, with none at work now
 * @param fleetIds its EC2 Fleets that are still active (a recovering run's)
 */
public record Run(RunId id, String project, Instant startedAt, Instant endedAt, List<RunInstance> instances,
    RunState state, Integer exitCode, ResultFolder folder, boolean recovering, List<String> fleetIds) {

  public Run {
    instances = List.copyOf(instances);
    fleetIds = List.copyOf(fleetIds);
  }

  /** How many attempts it took so far (1 unless spot recoveries started more). */
  public int attempts() {
    return instances.stream().mapToInt(RunInstance::attempt).max().orElse(1);
  }

  public List<RunInstance> ofAttempt(int attempt) {
    return instances.stream().filter(i -> i.attempt() == attempt).toList();
  }

  public List<RunInstance> lastAttempt() {
    return ofAttempt(attempts());
  }

  /**
   * How many of its attempts ran the job: an instance that found the attempts used up gave up
   * without one.
   */
  public int attemptsMade() {
    return instances.stream().filter(i -> i.exitStatus() == null || !ExitStatus.GAVE_UP.equals(i.exitStatus().reason()))
        .mapToInt(RunInstance::attempt).max().orElse(attempts());
  }

  /** Spot recoveries so far: the attempts after the first. */
  public int recoveries() {
    return attemptsMade() - 1;
  }

  /** {@code failed (code 3)}, {@code running}, {@code running (recovering)}, … */
  public String stateLabel() {
    if (state == RunState.RUNNING && recovering) {
      return state.label() + " (recovering)";
    }
    return state == RunState.FAILED && exitCode != null ? state.label() + " (code " + exitCode + ")" : state.label();
  }

  /** Where to read its log: the one instance's job.log, else the run's folder. */
  public String log() {
    return instances.size() == 1 ? instances.get(0).results().uri(ResultLayout.JOB_LOG) : folder.uri();
  }

  /** How long it ran: to its end, or to {@code now} while it runs; null when its start or end is unknown. */
  public Duration duration(Instant now) {
    Instant end = state == RunState.RUNNING ? now : endedAt;
    return startedAt == null || end == null ? null : Duration.between(startedAt, end);
  }
}
