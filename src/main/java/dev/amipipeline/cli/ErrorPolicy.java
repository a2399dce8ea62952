package dev.amipipeline.cli;

import dev.amipipeline.aws.AwsErrors;
import dev.amipipeline.common.AmiException;
import dev.amipipeline.common.ExitCode;
import dev.amipipeline.common.Lines;
import java.io.PrintWriter;
import java.util.Optional;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;

/**
 * The one error policy: every exception becomes one line on stderr and a documented exit code. Stack
 * traces only with --verbose.
 */
final class ErrorPolicy implements IExecutionExceptionHandler, IParameterExceptionHandler {

  /** The line and the code for an exception; the pure part of the policy. */
  record Verdict(ExitCode exitCode, String message) {}

  static Verdict judge(Throwable e) {
    if (e instanceof AmiException ami) {
      return new Verdict(ami.exitCode(), ami.getMessage());
    }
    Optional<String> aws = AwsErrors.explain(e);
    if (aws.isPresent()) {
      return new Verdict(ExitCode.FAILED, aws.get());
    }
    return new Verdict(ExitCode.FAILED, "internal error: " + e.getClass().getSimpleName() + ": "
        + Lines.first(String.valueOf(e.getMessage())) + " (run with --verbose for details)");
  }

  @Override
  public int handleExecutionException(Exception ex, CommandLine cmd, ParseResult parseResult) {
    Verdict verdict = judge(ex);
    PrintWriter err = cmd.getErr();
    err.println("ami: " + verdict.message());
    if (verbose(parseResult)) {
      ex.printStackTrace(err);
    }
    err.flush();
    return verdict.exitCode().code();
  }

  @Override
  public int handleParseException(ParameterException ex, String[] args) {
    CommandLine cmd = ex.getCommandLine();
    PrintWriter err = cmd.getErr();
    err.println("ami: " + Lines.first(ex.getMessage()) + " (see '" + cmd.getCommandSpec().qualifiedName()
        + " --help')");
    err.flush();
    return ExitCode.BAD_INPUT.code();
  }

  private static boolean verbose(ParseResult result) {
    for (ParseResult r = result; r != null; r = r.subcommand()) {
      if (r.hasMatchedOption("--verbose")) {
        return true;
      }
    }
    return false;
  }
}
