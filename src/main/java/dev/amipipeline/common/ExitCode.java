package dev.amipipeline.common;

/** The process exit codes; a public contract (see README, "Exit codes"). */
public enum ExitCode {
  /** Done, including "nothing to do". */
  OK(0),
  /** The operation failed (AWS, Packer, the job). */
  FAILED(1),
  /** Bad input or usage: nothing was changed. */
  BAD_INPUT(2),
  /** Another bake of the project holds the lock. */
  LOCKED(3),
  /** A required tool (e.g. packer) is missing. */
  TOOL_MISSING(4),
  /** Stopped by Ctrl-C or SIGTERM after cleaning up (the shell's 128 + SIGINT). */
  INTERRUPTED(130);

  private final int code;

  ExitCode(int code) {
    this.code = code;
  }

  public int code() {
    return code;
  }
}
