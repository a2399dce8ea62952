package dev.amipipeline.runs;

import dev.amipipeline.common.TextTable;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * What {@code ami cancel} does to a run, in order; pure. A run that still runs has its live
 * instances tagged {@code ami-pipeline:cancelled=<time>} first (the instance reads the tag when it is
 * stopped, so it records {@code cancelled} and saves its checkpoint and logs within its grace period),
 * then a recovering run's fleet deleted with its instances (so EC2 starts no replacement), then the
 * instances terminated. A run that has ended gets no step: cancelling it again changes nothing.
 *
 * @param cancelledAt the tag's value, ISO-8601 UTC
 */
public record CancelPlan(Run run, String cancelledAt, List<Step> steps) {

  /** One change to the run's resources. */
  public sealed interface Step permits TagCancelled, DeleteFleets, Terminate {}

  /** Tag the instances {@code ami-pipeline:cancelled=<at>}. */
  public record TagCancelled(List<String> instanceIds, String at) implements Step {}

  /** Delete the run's fleets and terminate their instances. */
  public record DeleteFleets(List<String> fleetIds) implements Step {}

  /** End the instances. */
  public record Terminate(List<String> instanceIds) implements Step {}

  public CancelPlan {
    steps = List.copyOf(steps);
  }

  public static CancelPlan of(Run run, Instant now) {
    String at = TextTable.iso(now);
    List<String> live = run.instances().stream().filter(RunInstance::terminable).map(RunInstance::instanceId).toList();
    if (run.state() != RunState.RUNNING) {
      return new CancelPlan(run, at, List.of());
    }
    List<Step> steps = new ArrayList<>();
    if (!live.isEmpty()) {
      steps.add(new TagCancelled(live, at));
    }
    if (!run.fleetIds().isEmpty()) {
      steps.add(new DeleteFleets(run.fleetIds()));
    }
    if (!live.isEmpty()) {
      steps.add(new Terminate(live));
    }
    return new CancelPlan(run, at, steps);
  }

  /** Whether the run still runs, so cancelling it changes something. */
  public boolean endsTheRun() {
    return !steps.isEmpty();
  }
}
