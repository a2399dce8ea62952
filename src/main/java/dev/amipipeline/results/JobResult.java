package dev.amipipeline.results;

import dev.amipipeline.common.Report;
import java.util.List;

/**
 * How a followed job ended: the exit-status file the instance uploaded, or the instance ending
 * without one (then exit 1).
 */
public record JobResult(String instanceId, String logUri, ExitStatus exitStatus, String instanceState)
    implements Report {

  /** The job's exit code, or 1 when the instance ended without reporting one. */
  public int jobExitCode() {
    return exitStatus == null ? 1 : exitStatus.exitCode();
  }

  /**
   * The exit code of a job that ran on several instances at once (the nodes of a run): the first
   * non-zero one in their order, 0 only when every one is 0.
   */
  public static int exitCodeOf(List<JobResult> jobs) {
    return jobs.stream().mapToInt(JobResult::jobExitCode).filter(c -> c != 0).findFirst().orElse(0);
  }

  @Override
  public String toText() {
    if (exitStatus == null) {
      return "instance " + instanceId + " is " + instanceState + " and the job left no exit status; log: " + logUri;
    }
    return "job on " + instanceId + " ended: exit code " + exitStatus.exitCode() + " (" + exitStatus.reason()
        + "); log: " + logUri;
  }
}
