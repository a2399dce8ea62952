package dev.amipipeline.runs;

import dev.amipipeline.results.RunId;
import java.time.Instant;

/**
 * One instance of a project as EC2 lists it (EC2 keeps terminated instances for about an hour).
 *
 * @param runTag its {@code ami-pipeline:run} tag; null when started without one (by hand, from the
 *     project's shared template, or by an earlier version)
 * @param market {@code spot} or {@code on-demand}
 * @param state EC2's state name, e.g. {@code running}
 * @param cancelledAt its {@code ami-pipeline:cancelled} tag, or null
 */
public record ListedInstance(String instanceId, String project, String runTag, String instanceType, String market,
    String state, Instant launchTime, String cancelledAt) {

  /** The run it belongs to: its tag, else (no tag, or one that is no run id) its own id. */
  public RunId run() {
    return RunId.tryParse(runTag).filter(r -> !r.isInstanceId()).orElseGet(() -> RunId.ofInstance(instanceId));
  }
}
