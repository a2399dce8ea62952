package dev.amipipeline.common;

/**
 * Every failure the tool reports on purpose. The subclass decides the exit code; the message is the
 * one line the user sees, so it says what went wrong and what to do.
 */
public abstract sealed class AmiException extends RuntimeException {

  private AmiException(String message, Throwable cause) {
    super(message, cause);
  }

  public abstract ExitCode exitCode();

  /** Bad input or usage (exit 2). Thrown before anything is changed. */
  public static final class BadInput extends AmiException {
    public BadInput(String message) {
      super(message, null);
    }

    public BadInput(String message, Throwable cause) {
      super(message, cause);
    }

    @Override
    public ExitCode exitCode() {
      return ExitCode.BAD_INPUT;
    }
  }

  /** The operation failed (exit 1). */
  public static final class Failed extends AmiException {
    public Failed(String message) {
      super(message, null);
    }

    public Failed(String message, Throwable cause) {
      super(message, cause);
    }

    @Override
    public ExitCode exitCode() {
      return ExitCode.FAILED;
    }
  }

  /** Another bake holds the project's lock (exit 3). */
  public static final class Locked extends AmiException {
    public Locked(String message) {
      super(message, null);
    }

    @Override
    public ExitCode exitCode() {
      return ExitCode.LOCKED;
    }
  }

  /** A required external tool is missing (exit 4). */
  public static final class ToolMissing extends AmiException {
    public ToolMissing(String message) {
      super(message, null);
    }

    @Override
    public ExitCode exitCode() {
      return ExitCode.TOOL_MISSING;
    }
  }

  /** Stopped by Ctrl-C or SIGTERM; what was started has been cleaned up (exit 130). */
  public static final class Interrupted extends AmiException {
    public Interrupted(String message) {
      super(message, null);
    }

    public Interrupted(String message, Throwable cause) {
      super(message, cause);
    }

    @Override
    public ExitCode exitCode() {
      return ExitCode.INTERRUPTED;
    }
  }
}
