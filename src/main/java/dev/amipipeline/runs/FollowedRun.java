package dev.amipipeline.runs;

import dev.amipipeline.common.Report;
import dev.amipipeline.results.JobResult;
import java.util.List;
import java.util.stream.Collectors;

/** How a followed run's jobs ended, one line per instance; its exit code is the job's. */
public record FollowedRun(String runId, List<JobResult> jobs) implements Report {

  public FollowedRun {
    jobs = List.copyOf(jobs);
  }

  /** The job's exit code: the first non-zero one of several instances, 1 for one gone without a word. */
  public int jobExitCode() {
    return JobResult.exitCodeOf(jobs);
  }

  @Override
  public String toText() {
    return jobs.stream().map(JobResult::toText).collect(Collectors.joining("\n"));
  }
}
