package dev.amipipeline.results;

import java.util.Collection;
import java.util.Comparator;
import java.util.Optional;

/**
 * Whether a run has ended, read from its results (the instance side's contract): run.json is written
 * only when the run ends, and an exit status whose reason is not {@code spot-interruption} is an end
 * (after an interruption a recovering run goes on with another attempt). Pure.
 */
public final class RunEnd {

  private RunEnd() {}

  /**
   * Why the run has ended, or empty when its results show no final end.
   *
   * @param summary its run.json, or null
   * @param statuses its instances' exit statuses
   */
  public static Optional<String> why(RunSummary summary, Collection<ExitStatus> statuses) {
    if (summary != null) {
      return Optional.of("run.json: " + (summary.state() == null ? "ended" : summary.state()));
    }
    return statuses.stream().filter(s -> !ExitStatus.SPOT_INTERRUPTION.equals(s.reason()))
        .min(Comparator.comparing(s -> String.valueOf(s.instanceId())))
        .map(s -> s.instanceId() + ": " + s.reason() + ", exit code " + s.exitCode());
  }
}
