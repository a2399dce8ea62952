package dev.amipipeline.cli;

import dev.amipipeline.common.JobOutput;
import java.io.PrintWriter;
import picocli.CommandLine.Model.CommandSpec;

/**
 * Where a command that streams a job's log writes: notes on stderr; the log on stdout, or on stderr
 * with {@code --output json} so stdout stays one object. Lines of instances followed at once never
 * interleave.
 */
class JobStreams implements JobOutput {

  private final PrintWriter notes;
  private final PrintWriter log;

  JobStreams(CommandSpec spec, GlobalOptions global) {
    this.notes = Printer.progress(spec);
    this.log = global.json() ? notes : spec.commandLine().getOut();
  }

  @Override
  public void progress(String line) {
    print(notes, line);
  }

  @Override
  public void jobLine(String line) {
    print(log, line);
  }

  private static void print(PrintWriter to, String line) {
    synchronized (to) {
      to.println(line);
      to.flush();
    }
  }
}
