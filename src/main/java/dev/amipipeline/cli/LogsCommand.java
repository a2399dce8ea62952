package dev.amipipeline.cli;

import dev.amipipeline.aws.AwsClients;
import dev.amipipeline.common.AmiException;
import dev.amipipeline.project.Project;
import dev.amipipeline.runs.FollowedRun;
import dev.amipipeline.runs.Run;
import dev.amipipeline.runs.RunLogs;
import dev.amipipeline.runs.RunLookup;
import dev.amipipeline.runs.RunsReader;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code ami logs RUN}: the run's job log from S3; with --follow, streamed until the job ends. */
@Command(name = "logs",
    header = "Show a run's job log; --follow streams it and exits with the job's code.",
    mixinStandardHelpOptions = true, sortOptions = false,
    description = {
        "Prints the job.log of each instance of the run from S3 (lines prefixed with the",
        "instance id when there are several). An instance that left nothing in S3 is",
        "shown by its first-boot.log, else by its console output from EC2, with a note",
        "saying so on stderr. RUN is the id 'ami launch' printed, or the instance id of",
        "an instance started by hand.",
        "",
        "Examples:",
        "  ami logs demo-20261202-101500-3fa9",
        "  ami logs demo-20261202-101500-3fa9 --follow   # exits with the job's code",
        "  ami logs ml-20261202-101500-3fa9 --attempt 2  # after a spot recovery",
        ""})
final class LogsCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Mixin RunArgument run;

  @Option(names = "--follow",
      description = "Stream the log of the last attempt until its job ends, and a recovering run's next attempts until"
          + " the run ends; exit with the job's code.")
  boolean follow;

  @Option(names = "--attempt", paramLabel = "N", description = "Only attempt N (1, 2, … across spot recoveries).")
  Integer attempt;

  @Mixin PollInterval poll;

  @Mixin GlobalOptions global;

  @Override
  public Integer call() {
    RunLookup.Asked asked = run.asked();
    if (attempt != null && attempt < 1) {
      throw new AmiException.BadInput("--attempt must be 1 or more, was " + attempt);
    }
    Duration every = poll.duration();
    try (AwsClients aws = global.aws()) {
      RunsReader reader = new RunsReader(aws, global.ssmPrefix(), Printer.progress(spec)::println);
      Run found = RunLookup.find(reader, global.projects(), asked, Instant.now());
      Project project = global.projects().load(found.project());
      RunLogs logs = new RunLogs(reader.stored(project), reader.instances(), new JobStreams(spec, global),
          Clock.systemUTC());
      if (!follow) {
        return Printer.print(spec, global, logs.show(found, attempt));
      }
      FollowedRun followed = attempt != null ? logs.follow(found, attempt, every, d -> Thread.sleep(d.toMillis()))
          : logs.followAcrossAttempts(() -> reader.one(project, found.id(), Instant.now()).orElse(found), every,
              d -> Thread.sleep(d.toMillis()));
      Printer.print(spec, global, followed);
      return followed.jobExitCode();
    }
  }
}
