package dev.amipipeline.runs;

import dev.amipipeline.aws.AwsClients;
import dev.amipipeline.common.AmiException;
import dev.amipipeline.common.JobOutput;
import dev.amipipeline.project.Project;
import dev.amipipeline.results.JobResult;
import dev.amipipeline.results.RunFollower;
import dev.amipipeline.results.RunId;
import java.time.Clock;
import java.time.Duration;
import java.util.List;

/** {@code ami launch --recover --follow}: the run's attempts followed as {@code ami logs RUN --follow} does. */
public final class AttemptsFollower implements RunFollower {

  private final String ssmPrefix;
  private final Clock clock;

  public AttemptsFollower(String ssmPrefix, Clock clock) {
    this.ssmPrefix = ssmPrefix;
    this.clock = clock;
  }

  @Override
  public Followed follow(AwsClients aws, Project project, RunId run, Duration poll, JobOutput output) {
    RunsReader reader = new RunsReader(aws, ssmPrefix, output::progress);
    Run started = reader.one(project, run, clock.instant()).orElseThrow(() -> new AmiException.Failed("run " + run
        + " is not found right after its launch: see 'ami runs --project " + project.name() + "'"));
    FollowedRun followed = new RunLogs(reader.stored(project), reader.instances(), output, clock)
        .followAcrossAttempts(() -> reader.one(project, run, clock.instant()).orElse(started), poll,
            d -> Thread.sleep(d.toMillis()));
    List<JobResult> jobs = followed.jobs();
    return new Followed(jobs.isEmpty() ? null : jobs.get(jobs.size() - 1), followed.jobExitCode());
  }
}
