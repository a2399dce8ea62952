package dev.amipipeline.testing;

import dev.amipipeline.cli.Main;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;

/** Runs the CLI in-process and captures what it printed. */
public final class Cli {

  /** What one run printed and returned. */
  public record Result(int exitCode, String out, String err) {
    /** Non-blank lines on stderr: the error policy promises one line per error. */
    public List<String> errLines() {
      return err.lines().filter(l -> !l.isBlank()).toList();
    }
  }

  private Cli() {}

  public static Result run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Main.run(new PrintWriter(out), new PrintWriter(err), args);
    return new Result(code, out.toString(), err.toString());
  }

  /** Runs against the given moto server: endpoint and region added in front of the args. */
  public static Result run(MotoServer moto, String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    int at = all.isEmpty() ? 0 : 1; // after the subcommand name
    all.addAll(at, List.of("--endpoint-url", moto.endpoint().toString(), "--region", MotoServer.REGION));
    return run(all.toArray(String[]::new));
  }
}
