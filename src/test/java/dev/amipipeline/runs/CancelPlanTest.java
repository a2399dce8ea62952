package dev.amipipeline.runs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.amipipeline.leftovers.RunFleet;
import dev.amipipeline.results.ExitStatus;
import dev.amipipeline.results.ResultLayout;
import dev.amipipeline.results.RunId;
import dev.amipipeline.results.StoredRun;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CancelPlanTest {

  private static final ResultLayout LAYOUT = ResultLayout.of("s3://logs-bucket/runs", "demo");
  private static final RunId RUN = RunId.parse("demo-20261202-101500-3fa9");
  private static final Instant NOW = Instant.parse("2026-12-02T10:30:00.250Z");

  private static ListedInstance listed(String id, String state) {
    return new ListedInstance(id, "demo", RUN.value(), "t3.micro", "spot", state, RUN.startedAt(), null);
  }

  @Test
  void aRunningRunHasItsLiveInstancesTaggedThenTerminated() {
    Run run = Runs.of("demo", LAYOUT, RUN, List.of(listed("i-00000001", "running"), listed("i-00000002", "stopped"),
        listed("i-00000003", "shutting-down")), null);

    CancelPlan plan = CancelPlan.of(run, NOW);

    assertThat(plan.endsTheRun()).isTrue();
    assertThat(plan.steps()).containsExactly(
        new CancelPlan.TagCancelled(List.of("i-00000001", "i-00000002"), "2026-12-02T10:30:00Z"),
        new CancelPlan.Terminate(List.of("i-00000001", "i-00000002")));
  }

  @Test
  void aRunThatHasEndedGetsNoStepEvenWithAnInstanceLeftRunning() {
    ExitStatus done = new ExitStatus(0, "exited", null, null, "i-00000001", null, RUN.value(), 1, "t3.micro");
    Run run = Runs.of("demo", LAYOUT, RUN, List.of(listed("i-00000001", "running")), new StoredRun(RUN, null,
        List.of(new StoredRun.StoredInstance("i-00000001", LAYOUT.instance(RUN, "i-00000001"), done)), null));

    CancelPlan plan = CancelPlan.of(run, NOW);

    assertThat(plan.endsTheRun()).isFalse();
    assertThat(plan.steps()).isEmpty();
    assertThat(plan.run().stateLabel()).isEqualTo("succeeded");
  }

  @Test
  void aRunWhoseInstancesAreAllShuttingDownHasNothingLeftToStop() {
    Run run = Runs.of("demo", LAYOUT, RUN, List.of(listed("i-00000001", "shutting-down")), null);

    CancelPlan plan = CancelPlan.of(run, NOW);

    assertThat(plan.endsTheRun()).isFalse();
    assertThat(new CancelReport(RUN.value(), "demo", false, run.stateLabel(), null, List.of(), List.of()).toText())
        .isEqualTo("run demo-20261202-101500-3fa9 is already ending (its instances are shutting down): nothing to"
            + " cancel");
  }

  private static final RunFleet FLEET = new RunFleet("fleet-0abc", "maintain", "active",
      NOW.plus(Duration.ofHours(4)), Map.of("ami-pipeline:project", "demo", "ami-pipeline:run", RUN.value()));

  /**
   * A recovering run: the instance is tagged first (it records the cancel when it is stopped), then the
   * fleet deleted with its instances, so EC2 starts no replacement, then the instance terminated.
   */
  @Test
  void aRecoveringRunHasItsFleetDeletedBeforeItsInstancesAreTerminated() {
    Run run = Runs.of("demo", LAYOUT, RUN, List.of(listed("i-00000001", "running")), null, List.of(FLEET), NOW);

    CancelPlan plan = CancelPlan.of(run, NOW);

    assertThat(plan.steps()).containsExactly(
        new CancelPlan.TagCancelled(List.of("i-00000001"), "2026-12-02T10:30:00Z"),
        new CancelPlan.DeleteFleets(List.of("fleet-0abc")),
        new CancelPlan.Terminate(List.of("i-00000001")));
  }

  /** Between attempts there is no instance to tag: deleting the fleet ends the run. */
  @Test
  void aRunBetweenAttemptsHasOnlyItsFleetDeleted() {
    ExitStatus interrupted = new ExitStatus(143, "spot-interruption", null, null, "i-00000001", null, RUN.value(), 1,
        "t3.micro");
    Run run = Runs.of("demo", LAYOUT, RUN, List.of(listed("i-00000001", "terminated")), new StoredRun(RUN, null,
        List.of(new StoredRun.StoredInstance("i-00000001", LAYOUT.instance(RUN, "i-00000001"), interrupted)), null),
        List.of(FLEET), NOW);

    CancelPlan plan = CancelPlan.of(run, NOW);

    assertThat(plan.endsTheRun()).isTrue();
    assertThat(plan.steps()).containsExactly(new CancelPlan.DeleteFleets(List.of("fleet-0abc")));
    assertThat(new CancelReport(RUN.value(), "demo", true, "cancelled", plan.cancelledAt(), List.of(),
        List.of("fleet-0abc")).toText()).isEqualTo("cancelled run demo-20261202-101500-3fa9: deleted EC2 Fleet"
            + " fleet-0abc (it starts no replacement); it had no instance at work");
  }
}
