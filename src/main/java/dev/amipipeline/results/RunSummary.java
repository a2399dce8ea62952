package dev.amipipeline.results;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * {@code <logUri>/<P>/<run-id>/run.json} (a contract): written by the instance whose end ends the
 * run, from the exit statuses it finds in the run's folder, so the last node to end writes a
 * complete one. Unknown fields are ignored.
 *
 * @param nodes instances per attempt
 * @param attempts attempts the run took (more than 1 after spot interruptions of a recovering run)
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record RunSummary(String runId, String project, String state, String startedAt, String endedAt, int nodes,
    int attempts, List<Node> instances) {

  /** One instance of the run as its exit status said. */
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record Node(String instanceId, String instanceType, String market, Integer attempt, int exitCode,
      String reason, String startedAt, String endedAt) {

    /** The exit status this entry was made from. */
    public ExitStatus exitStatus(String runId) {
      return new ExitStatus(exitCode, reason, startedAt, endedAt, instanceId, null, runId, attempt, instanceType,
          market);
    }
  }

  /**
   * A complete run.json of a run that ended longer ago than this stands for its exit statuses: none is
   * read. A run that ended more recently may still get a late upload (a node whose copy was retried).
   */
  public static final Duration TRUSTED_AFTER = Duration.ofDays(1);

  public RunSummary {
    instances = instances == null ? List.of() : List.copyOf(instances);
  }

  /**
   * Whether it can stand for the run's exit statuses: it names the run, and lists as many instances
   * of its last attempt as the run has nodes (a node that ended before the others wrote one that
   * lacks them).
   */
  public boolean complete(RunId run) {
    if (!run.value().equals(runId) || nodes < 1 || attempts < 1) {
      return false;
    }
    long last = instances.stream().filter(n -> n.instanceId() != null && n.attempt() != null && n.attempt() == attempts)
        .count();
    return last == nodes;
  }

  /** Whether it alone tells how run {@code run} ended, so its instances' exit statuses need no reads. */
  public boolean standsAlone(RunId run, Instant now) {
    return complete(run) && ended().map(end -> end.isBefore(now.minus(TRUSTED_AFTER))).orElse(false);
  }

  public Optional<Instant> ended() {
    return Timestamps.parse(endedAt);
  }

  public Optional<Instant> started() {
    return Timestamps.parse(startedAt);
  }
}
