package dev.amipipeline.runs;

/** Where a run is; {@code failed} comes with the job's exit code. */
public enum RunState {
  RUNNING("running"),
  SUCCEEDED("succeeded"),
  FAILED("failed"),
  INTERRUPTED("interrupted"),
  TIMED_OUT("timed out"),
  SETUP_FAILED("setup failed"),
  CANCELLED("cancelled"),
  GAVE_UP("gave up"),
  /** No instance left and no exit status. */
  LOST("lost");

  private final String label;

  RunState(String label) {
    this.label = label;
  }

  public String label() {
    return label;
  }
}
