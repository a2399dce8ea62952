package dev.amipipeline.prune;

import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkException;

/** One-line descriptions of SDK errors for per-resource failures in the report. */
final class AwsErrors {

  private AwsErrors() {}

  /** The AWS error code, else the HTTP status, else empty (a client-side failure). */
  static String code(SdkException e) {
    if (!(e instanceof AwsServiceException aws)) {
      return "";
    }
    String code = aws.awsErrorDetails() == null ? null : aws.awsErrorDetails().errorCode();
    return code != null ? code : "HTTP " + aws.statusCode();
  }

  static String describe(SdkException e) {
    String message = e instanceof AwsServiceException aws && aws.awsErrorDetails() != null
        && aws.awsErrorDetails().errorMessage() != null ? aws.awsErrorDetails().errorMessage() : e.getMessage();
    String line = message == null ? e.getClass().getSimpleName() : message.strip().lines().findFirst().orElse("");
    String code = code(e);
    return code.isEmpty() ? line : code + ": " + line;
  }
}
