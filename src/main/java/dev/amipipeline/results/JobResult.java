package dev.amipipeline.results;

import dev.amipipeline.common.Report;

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

  @Override
  public String toText() {
    if (exitStatus == null) {
      return "instance " + instanceId + " is " + instanceState + " and the job left no exit status; log: " + logUri;
    }
    return "job on " + instanceId + " ended: exit code " + exitStatus.exitCode() + " (" + exitStatus.reason()
        + "); log: " + logUri;
  }
}
