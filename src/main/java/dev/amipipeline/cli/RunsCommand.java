package dev.amipipeline.cli;

import dev.amipipeline.aws.AwsClients;
import dev.amipipeline.common.Durations;
import dev.amipipeline.project.Project;
import dev.amipipeline.runs.RunsReader;
import dev.amipipeline.runs.RunsReport;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code ami runs}: the runs of every project, newest first, with their state and where their log is. */
@Command(name = "runs",
    header = "List runs, newest first: state, attempts, where the log is.",
    mixinStandardHelpOptions = true, sortOptions = false,
    description = {
        "One row per run (every 'ami launch' is one): its id, project, start, duration,",
        "instance type(s), market, attempts, state and log. States: running, running",
        "(recovering: between attempts, its fleet replaces the interrupted instance),",
        "succeeded, failed (code N), interrupted, timed out, setup failed, cancelled,",
        "gave up (a recovering run used up its attempts), lost (no instance left and no",
        "exit status). Read from EC2 (the instances it still lists, recovering runs'",
        "fleets) and the results in S3, where each project's run configuration sends them.",
        "",
        "Examples:",
        "  ami runs",
        "  ami runs --project ml --since 30d",
        "  ami runs --output json | jq '.runs[] | select(.state != \"succeeded\")'",
        ""})
final class RunsCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Option(names = "--project", paramLabel = "P", description = "Only this project (default: every project).")
  String project;

  @Option(names = "--since", paramLabel = "DURATION", defaultValue = "7d",
      description = "Runs started this long ago or since, and every run still running, e.g. 12h, 30d;"
          + " 0 = all (default: ${DEFAULT-VALUE}).")
  String since;

  @Mixin GlobalOptions global;

  @Override
  public Integer call() {
    Duration back = Durations.parse(since, "--since");
    List<Project> projects = project == null ? global.projects().loadAll() : List.of(global.projects().load(project));
    try (AwsClients aws = global.aws()) {
      Instant now = Instant.now();
      RunsReader reader = new RunsReader(aws, global.ssmPrefix(), Printer.progress(spec)::println);
      return Printer.print(spec, global, RunsReport.of(reader.list(projects, now,
          back.isZero() ? null : now.minus(back)), now, back.isZero() ? null : since.trim()));
    }
  }
}
