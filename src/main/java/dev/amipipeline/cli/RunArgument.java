package dev.amipipeline.cli;

import dev.amipipeline.runs.RunLookup;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The run a command acts on, as typed: its id or an instance id, and the project when given. */
final class RunArgument {

  @Parameters(index = "0", paramLabel = "RUN", description = "The run: its id, or an instance id.")
  String run;

  @Option(names = "--project", paramLabel = "P",
      description = "The run's project (a run id names it; needed only for an instance that EC2 no longer lists).")
  String project;

  /** Checked before any AWS call (exit 2). */
  RunLookup.Asked asked() {
    return RunLookup.asked(run, project);
  }
}
