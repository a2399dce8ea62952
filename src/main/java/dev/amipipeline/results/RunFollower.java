package dev.amipipeline.results;

import dev.amipipeline.aws.AwsClients;
import dev.amipipeline.common.JobOutput;
import dev.amipipeline.project.Project;
import java.time.Duration;

/**
 * Follows a run's job logs across its attempts until the run ends, a recovering run's replacement
 * instances included. Launch follows a recovering run through it; runs/ implements it (the commands
 * meet here, in the results both read, instead of depending on each other).
 */
public interface RunFollower {

  /** How a followed run ended: the last attempt's job (null when none reported) and the exit code to leave with. */
  record Followed(JobResult lastJob, int exitCode) {}

  Followed follow(AwsClients aws, Project project, RunId run, Duration poll, JobOutput output);
}
