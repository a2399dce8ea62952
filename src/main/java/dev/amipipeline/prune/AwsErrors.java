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

  /** {@code Code: message}; just the code (or HTTP status) when the service sent no message. */
  static String describe(SdkException e) {
    String code = code(e);
    if (e instanceof AwsServiceException aws) {
      String message = aws.awsErrorDetails() == null ? null : aws.awsErrorDetails().errorMessage();
      return message == null || message.isBlank() ? code : code + ": " + firstLine(message);
    }
    return e.getMessage() == null ? e.getClass().getSimpleName() : firstLine(e.getMessage());
  }

  private static String firstLine(String s) {
    return s.strip().lines().findFirst().orElse("");
  }
}
