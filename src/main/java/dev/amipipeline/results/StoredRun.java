package dev.amipipeline.results;

import java.time.Instant;
import java.util.List;

/**
 * What S3 holds of one run, as read: its {@code run.json} when there is one, and the instance
 * folders found with their exit statuses (none read when the summary was enough).
 *
 * @param summary run.json, or null
 * @param lastModified the newest object right in the run's folder, or null (for runs without a start stamp)
 */
public record StoredRun(RunId id, RunSummary summary, List<StoredInstance> instances, Instant lastModified) {

  /**
   * One instance's results folder.
   *
   * @param status its exit-status.json, or null (not there, or not read)
   */
  public record StoredInstance(String instanceId, ResultFolder folder, ExitStatus status) {}

  public StoredRun {
    instances = List.copyOf(instances);
  }

  /** Nothing of the run in S3. */
  public boolean isEmpty() {
    return summary == null && instances.isEmpty();
  }
}
