package dev.amipipeline.runs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.amipipeline.results.ExitStatus;
import dev.amipipeline.results.ResultLayout;
import dev.amipipeline.results.RunId;
import java.time.Instant;
import java.util.List;
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
}
