package dev.amipipeline.runs;

import java.util.ArrayList;
import java.util.List;

/** The edge of {@code ami cancel}: carries out a {@link CancelPlan}, step by step in its order. */
public final class RunCancel {

  private final RunInstances ec2;

  public RunCancel(RunInstances ec2) {
    this.ec2 = ec2;
  }

  public CancelReport execute(CancelPlan plan) {
    List<String> ended = new ArrayList<>();
    List<String> fleets = new ArrayList<>();
    for (CancelPlan.Step step : plan.steps()) {
      if (step instanceof CancelPlan.TagCancelled tag) {
        ec2.tagCancelled(tag.instanceIds(), tag.at());
      } else if (step instanceof CancelPlan.DeleteFleets delete) {
        delete.fleetIds().forEach(ec2::deleteFleet);
        fleets.addAll(delete.fleetIds());
      } else if (step instanceof CancelPlan.Terminate end) {
        ec2.terminate(end.instanceIds());
        ended.addAll(end.instanceIds());
      } else {
        throw new IllegalStateException("no edge for " + step);
      }
    }
    Run run = plan.run();
    return new CancelReport(run.id().value(), run.project(), plan.endsTheRun(),
        plan.endsTheRun() ? RunState.CANCELLED.label() : run.stateLabel(),
        plan.endsTheRun() ? plan.cancelledAt() : null, ended, fleets);
  }
}
