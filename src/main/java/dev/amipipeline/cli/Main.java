package dev.amipipeline.cli;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine;

/** Entry point. Tests call {@link #run} with their own writers. */
public final class Main {

  private Main() {}

  public static void main(String[] args) {
    PrintWriter out = new PrintWriter(new java.io.OutputStreamWriter(System.out, StandardCharsets.UTF_8), true);
    PrintWriter err = new PrintWriter(new java.io.OutputStreamWriter(System.err, StandardCharsets.UTF_8), true);
    System.exit(run(out, err, args));
  }

  public static int run(PrintWriter out, PrintWriter err, String... args) {
    int code = commandLine(out, err).execute(args);
    out.flush();
    err.flush();
    return code;
  }

  /** The {@code ami} command line as every run sets it up; the AppCDS training renders its help from it. */
  public static CommandLine commandLine(PrintWriter out, PrintWriter err) {
    ErrorPolicy policy = new ErrorPolicy();
    return new CommandLine(new AmiCommand())
        .setOut(out)
        .setErr(err)
        .setExecutionExceptionHandler(policy)
        .setParameterExceptionHandler(policy);
  }
}
