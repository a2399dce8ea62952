package dev.amipipeline.cli;

import dev.amipipeline.aws.AwsClients;
import dev.amipipeline.runs.CancelPlan;
import dev.amipipeline.runs.Run;
import dev.amipipeline.runs.RunCancel;
import dev.amipipeline.runs.RunLookup;
import dev.amipipeline.runs.RunsReader;
import java.time.Instant;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code ami cancel RUN}: end a run; its instances save their checkpoint and logs on the way out. */
@Command(name = "cancel",
    header = "End a run: tag its instances cancelled, then terminate them.",
    mixinStandardHelpOptions = true, sortOptions = false,
    description = {
        "Tags the run's live instances ami-pipeline:cancelled=<time>, deletes a",
        "recovering run's EC2 Fleet with its instances (no replacement follows) and",
        "terminates them. Each instance reads the tag when it is stopped, records the",
        "run as cancelled and uploads its checkpoint and logs within its grace period.",
        "Cancelling a run that has ended says so and changes nothing (exit 0).",
        "",
        "Examples:",
        "  ami cancel demo-20261202-101500-3fa9",
        ""})
final class CancelCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Mixin RunArgument run;

  @Mixin GlobalOptions global;

  @Override
  public Integer call() {
    RunLookup.Asked asked = run.asked();
    try (AwsClients aws = global.aws()) {
      RunsReader reader = new RunsReader(aws, global.ssmPrefix(), Printer.progress(spec)::println);
      Instant now = Instant.now();
      Run found = RunLookup.find(reader, global.projects(), asked, now);
      return Printer.print(spec, global, new RunCancel(reader.instances()).execute(CancelPlan.of(found, now)));
    }
  }
}
