package dev.amipipeline.common;

/**
 * A command's result. Printed as {@link #toText()} or, with {@code --output json}, as the JSON of the
 * record itself.
 */
public interface Report {

  /** Human-readable lines for stdout. */
  String toText();

  /** The process exit code this result calls for. */
  default ExitCode exitCode() {
    return ExitCode.OK;
  }
}
