package dev.amipipeline.aws;

import dev.amipipeline.common.Lines;
import java.util.Optional;
import java.util.Set;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.ApiCallTimeoutException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;

/**
 * How an AWS failure reads, in one place: its code, the short form a report gives one resource's
 * failure, and the one line (with what to do) the CLI prints when a command stops on it.
 */
public final class AwsErrors {

  private static final Set<String> ACCESS_DENIED = Set.of(
      "UnauthorizedOperation", "AccessDenied", "AccessDeniedException", "AuthFailure",
      "InvalidClientTokenId", "UnrecognizedClientException", "ExpiredToken", "ExpiredTokenException");

  /** EC2's answers for an image id that names no image: never was, no longer is, or is not an id at all. */
  private static final Set<String> NO_SUCH_IMAGE = Set.of(
      "InvalidAMIID.NotFound", "InvalidAMIID.Unavailable", "InvalidAMIID.Malformed");

  private AwsErrors() {}

  /** The AWS error code, else the HTTP status ({@code HTTP 500}), else empty (a client-side failure). */
  public static String code(SdkException e) {
    if (!(e instanceof AwsServiceException aws)) {
      return "";
    }
    String code = errorCode(aws);
    return code != null ? code : "HTTP " + aws.statusCode();
  }

  /** Whether AWS refused these credentials the call; a 403 whose body the SDK could not read is too. */
  public static boolean accessDenied(SdkException e) {
    if (!(e instanceof AwsServiceException aws)) {
      return false;
    }
    String code = errorCode(aws);
    return code == null ? aws.statusCode() == 403 : ACCESS_DENIED.contains(code);
  }

  /** Whether EC2 answered that the image id a call named is no image (as opposed to: may not, or broke). */
  public static boolean noSuchImage(SdkException e) {
    return NO_SUCH_IMAGE.contains(code(e));
  }

  /** {@code Code: message}, for one resource in a report; the code alone when the service sent no message. */
  public static String describe(SdkException e) {
    String code = code(e);
    if (e instanceof AwsServiceException aws) {
      String message = aws.awsErrorDetails() == null ? null : aws.awsErrorDetails().errorMessage();
      return message == null || message.isBlank() ? code : code + ": " + Lines.first(message);
    }
    return e.getMessage() == null ? e.getClass().getSimpleName() : Lines.first(e.getMessage());
  }

  /** The one line a command that stopped on {@code e} prints, saying what to do; empty when e is no SDK failure. */
  public static Optional<String> explain(Throwable e) {
    if (e instanceof AwsServiceException aws) {
      return Optional.of(explainService(aws));
    }
    if (e instanceof ApiCallTimeoutException) {
      return Optional.of("AWS did not complete a call within " + AwsClients.API_CALL_TIMEOUT.toSeconds()
          + " s, retries included (every attempt failed, was throttled or went unanswered) — check --endpoint-url /"
          + " network and try again later");
    }
    if (e instanceof SdkClientException sdk) {
      return Optional.of("cannot reach AWS: " + rootMessage(sdk) + " — check --endpoint-url / network and try again");
    }
    return Optional.empty();
  }

  private static String explainService(AwsServiceException aws) {
    String service = aws.awsErrorDetails() == null ? "AWS" : aws.awsErrorDetails().serviceName();
    String detail = Lines.first(
        aws.awsErrorDetails() == null ? aws.getMessage() : aws.awsErrorDetails().errorMessage());
    String what = code(aws);
    if (accessDenied(aws)) {
      return "access denied by AWS (" + service + " " + what + ")" + (detail.isEmpty() ? "" : ": " + detail)
          + " — grant the permission to these credentials (policies in scripts/iam/)";
    }
    if (aws.isThrottlingException()) {
      return "AWS kept throttling (" + service + " " + what + ") through every retry:"
          + " try again later; throttling is shared by everything that calls this account and region";
    }
    return service + " error " + what + ": " + detail;
  }

  /** The code AWS sent, null when none (a 5xx whose body is not AWS's error format has details without one). */
  private static String errorCode(AwsServiceException aws) {
    String code = aws.awsErrorDetails() == null ? null : aws.awsErrorDetails().errorCode();
    return code == null || code.isEmpty() ? null : code;
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    String m = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    return Lines.first(t == e ? m : t.getClass().getSimpleName() + ": " + m);
  }
}
