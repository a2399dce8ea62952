package dev.amipipeline.cli;

import dev.amipipeline.launch.Launch;
import dev.amipipeline.launch.LaunchReport;
import java.io.PrintWriter;
import picocli.CommandLine.Model.CommandSpec;

/** Where a launch writes: as {@link JobStreams}, plus the started instances before their job's log (text only). */
final class LaunchStreams extends JobStreams implements Launch.Output {

  private final CommandSpec spec;
  private final GlobalOptions global;

  LaunchStreams(CommandSpec spec, GlobalOptions global) {
    super(spec, global);
    this.spec = spec;
    this.global = global;
  }

  @Override
  public void launched(LaunchReport report) {
    if (!global.json()) {
      PrintWriter out = spec.commandLine().getOut();
      out.println(report.startedText());
      out.flush();
    }
  }
}
