package dev.amipipeline.cli;

import dev.amipipeline.common.Json;
import dev.amipipeline.common.Report;
import java.io.PrintWriter;
import picocli.CommandLine.Model.CommandSpec;

/** Prints a result on stdout as text or JSON and returns its exit code. */
final class Printer {

  private Printer() {}

  static int print(CommandSpec spec, GlobalOptions global, Report report) {
    PrintWriter out = spec.commandLine().getOut();
    out.println(global.json() ? Json.writePretty(report) : report.toText());
    out.flush();
    return report.exitCode().code();
  }

  /** Where progress and notes go: stderr, so stdout stays the result alone. */
  static PrintWriter progress(CommandSpec spec) {
    return spec.commandLine().getErr();
  }
}
