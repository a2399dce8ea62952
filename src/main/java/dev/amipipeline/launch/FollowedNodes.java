package dev.amipipeline.launch;

import com.fasterxml.jackson.annotation.JsonUnwrapped;
import dev.amipipeline.common.Report;
import dev.amipipeline.results.JobResult;
import java.util.List;
import java.util.stream.Collectors;

/**
 * A launch of several nodes whose jobs were followed ({@code --local --count N}). In text only the
 * jobs' ends are left to print, one line per node: the instances were shown before the logs. In JSON
 * it is the launch with {@code jobs}, one object on stdout.
 *
 * @param jobs each node's job, in the launch's order of its instances
 */
record FollowedNodes(@JsonUnwrapped LaunchReport launch, List<JobResult> jobs) implements Report {

  FollowedNodes {
    jobs = List.copyOf(jobs);
    if (jobs.isEmpty()) {
      throw new IllegalArgumentException("a followed run of nodes has its jobs' results");
    }
  }

  /** The command's exit code: the first non-zero one of the nodes' jobs, 0 only when every one is 0. */
  int jobExitCode() {
    return JobResult.exitCodeOf(jobs);
  }

  @Override
  public String toText() {
    return jobs.stream().map(JobResult::toText).collect(Collectors.joining("\n"));
  }
}
