package dev.amipipeline.runs;

import dev.amipipeline.common.Report;
import dev.amipipeline.project.Tags;
import java.util.List;

/**
 * What {@code ami cancel} did: the run's instances tagged and terminated, or nothing because the run
 * had ended (exit 0 either way).
 *
 * @param cancelled whether this cancel ended the run
 * @param state the run's state now ({@code cancelled}, or how it had ended)
 * @param terminated the instances this cancel terminated
 * @param deletedFleets the recovering run's fleets this cancel deleted (with their instances)
 */
public record CancelReport(String runId, String project, boolean cancelled, String state, String cancelledAt,
    List<String> terminated, List<String> deletedFleets) implements Report {

  public CancelReport {
    terminated = List.copyOf(terminated);
    deletedFleets = List.copyOf(deletedFleets);
  }

  @Override
  public String toText() {
    if (!cancelled && state.equals(RunState.RUNNING.label())) {
      return "run " + runId + " is already ending (its instances are shutting down): nothing to cancel";
    }
    if (!cancelled) {
      return "run " + runId + " has already ended (" + state + "): nothing to cancel";
    }
    String fleets = deletedFleets.isEmpty() ? "" : "deleted EC2 Fleet " + String.join(", ", deletedFleets)
        + " (it starts no replacement)";
    if (terminated.isEmpty()) {
      return "cancelled run " + runId + ": " + fleets + "; it had no instance at work";
    }
    return "cancelled run " + runId + ": tagged " + Tags.CANCELLED + "=" + cancelledAt
        + (fleets.isEmpty() ? " and " : ", " + fleets + " and ") + "terminated " + String.join(", ", terminated)
        + "; each saves its checkpoint and uploads its logs before it goes (ami logs " + runId + ")";
  }
}
