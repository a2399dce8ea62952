package dev.amipipeline.cli;

import dev.amipipeline.aws.AwsClients;
import dev.amipipeline.common.AmiException;
import dev.amipipeline.common.ExitCode;
import java.io.PrintWriter;
import java.util.Set;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.ApiCallTimeoutException;
import software.amazon.awssdk.core.exception.SdkClientException;

/**
 * The one error policy: every exception becomes one line on stderr and a documented exit code. Stack
 * traces only with --verbose.
 */
final class ErrorPolicy implements IExecutionExceptionHandler, IParameterExceptionHandler {

  private static final Set<String> ACCESS_DENIED = Set.of(
      "UnauthorizedOperation", "AccessDenied", "AccessDeniedException", "AuthFailure",
      "InvalidClientTokenId", "UnrecognizedClientException", "ExpiredToken", "ExpiredTokenException");

  /** The line and the code for an exception; the pure part of the policy. */
  record Verdict(ExitCode exitCode, String message) {}

  static Verdict judge(Throwable e) {
    if (e instanceof AmiException ami) {
      return new Verdict(ami.exitCode(), ami.getMessage());
    }
    if (e instanceof AwsServiceException aws) {
      // A 5xx with a body that is not AWS's error format has details without a code.
      String code = aws.awsErrorDetails() == null || aws.awsErrorDetails().errorCode() == null
          ? "" : aws.awsErrorDetails().errorCode();
      String service = aws.awsErrorDetails() == null ? "AWS" : aws.awsErrorDetails().serviceName();
      String detail = aws.awsErrorDetails() == null ? aws.getMessage() : aws.awsErrorDetails().errorMessage();
      String what = code.isEmpty() ? "HTTP " + aws.statusCode() : code;
      // A 403 whose body the SDK could not read is a denial all the same.
      if (ACCESS_DENIED.contains(code) || code.isEmpty() && aws.statusCode() == 403) {
        String why = oneLine(detail);
        return new Verdict(ExitCode.FAILED, "access denied by AWS (" + service + " " + what + ")"
            + (why.isEmpty() ? "" : ": " + why) + " — grant the permission to these credentials (policies in scripts/iam/)");
      }
      if (aws.isThrottlingException()) {
        return new Verdict(ExitCode.FAILED, "AWS kept throttling (" + service + " " + what + ") through every retry:"
            + " try again later; throttling is shared by everything that calls this account and region");
      }
      return new Verdict(ExitCode.FAILED, service + " error " + what + ": " + oneLine(detail));
    }
    if (e instanceof ApiCallTimeoutException) {
      return new Verdict(ExitCode.FAILED, "AWS did not complete a call within " + AwsClients.API_CALL_TIMEOUT.toSeconds()
          + " s, retries included (every attempt failed, was throttled or went unanswered) — check --endpoint-url /"
          + " network and try again later");
    }
    if (e instanceof SdkClientException sdk) {
      return new Verdict(ExitCode.FAILED, "cannot reach AWS: " + rootMessage(sdk)
          + " — check --endpoint-url / network and try again");
    }
    return new Verdict(ExitCode.FAILED, "internal error: " + e.getClass().getSimpleName() + ": "
        + oneLine(String.valueOf(e.getMessage())) + " (run with --verbose for details)");
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
    err.println("ami: " + oneLine(ex.getMessage()) + " (see '" + cmd.getCommandSpec().qualifiedName() + " --help')");
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

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    String m = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    return oneLine(t == e ? m : t.getClass().getSimpleName() + ": " + m);
  }

  static String oneLine(String s) {
    if (s == null) {
      return "";
    }
    String first = s.strip();
    int nl = first.indexOf('\n');
    return nl < 0 ? first : first.substring(0, nl);
  }
}
