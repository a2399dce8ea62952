package dev.amipipeline.launch;

/** Placement strategies {@code --placement} accepts. */
public enum Placement {
  /** All instances close together in one AZ (low-latency network for distributed training). */
  cluster;

  /** The project's placement group for this strategy, created on first use and reused after. */
  public String groupName(String project) {
    return "ami-pipeline-" + project + "-" + name();
  }
}
