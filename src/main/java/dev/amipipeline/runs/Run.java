package dev.amipipeline.runs;

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
 */
public record Run(RunId id, String project, Instant startedAt, Instant endedAt, List<RunInstance> instances,
    RunState state, Integer exitCode, ResultFolder folder) {

  public Run {
    instances = List.copyOf(instances);
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

  /** {@code failed (code 3)}, {@code running}, … */
  public String stateLabel() {
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
