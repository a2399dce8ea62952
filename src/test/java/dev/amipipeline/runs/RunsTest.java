package dev.amipipeline.runs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.amipipeline.leftovers.RunFleet;
import dev.amipipeline.results.ExitStatus;
import dev.amipipeline.results.ResultLayout;
import dev.amipipeline.results.RunId;
import dev.amipipeline.results.RunSummary;
import dev.amipipeline.results.StoredRun;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class RunsTest {

  private static final ResultLayout LAYOUT = ResultLayout.of("s3://logs-bucket/runs", "demo");
  private static final RunId RUN = RunId.parse("demo-20261202-101500-3fa9");
  private static final Instant START = RUN.startedAt();
  private static final Instant NOW = START.plus(Duration.ofHours(1));

  /** An instance of the run as EC2 lists it. */
  private static ListedInstance listed(String id, String state) {
    return new ListedInstance(id, "demo", RUN.value(), "t3.micro", "spot", state, START.plusSeconds(2), null);
  }

  private static ExitStatus status(String id, int code, String reason, int attempt) {
    return new ExitStatus(code, reason, "2026-12-02T10:15:05Z", "2026-12-02T10:20:05Z", id, "ami-1", RUN.value(),
        attempt, "t3.micro");
  }

  /** The run's folder as S3 holds it: each instance's folder with its exit status (or none). */
  private static StoredRun stored(ExitStatus... statuses) {
    List<StoredRun.StoredInstance> instances = new ArrayList<>();
    for (ExitStatus s : statuses) {
      instances.add(new StoredRun.StoredInstance(s.instanceId(), LAYOUT.instance(RUN, s.instanceId()), s));
    }
    return new StoredRun(RUN, null, instances, null);
  }

  static Stream<Arguments> stateOfTheRun() {
    return Stream.of(
        Arguments.of("one instance at work", List.of(listed("i-00000001", "running")), stored(), "running"),
        Arguments.of("pending", List.of(listed("i-00000001", "pending")), stored(), "running"),
        Arguments.of("exited 0", List.of(), stored(status("i-00000001", 0, "exited", 1)), "succeeded"),
        Arguments.of("exited 3", List.of(), stored(status("i-00000001", 3, "exited", 1)), "failed (code 3)"),
        Arguments.of("setup failed", List.of(listed("i-00000001", "terminated")),
            stored(status("i-00000001", 125, "setup-failed", 1)), "setup failed"),
        Arguments.of("timed out", List.of(), stored(status("i-00000001", 124, "timeout", 1)), "timed out"),
        Arguments.of("spot interruption", List.of(), stored(status("i-00000001", 143, "spot-interruption", 1)),
            "interrupted"),
        Arguments.of("recorded cancel", List.of(), stored(status("i-00000001", 143, "cancelled", 1)), "cancelled"),
        Arguments.of("cancel tag while EC2 lists it", List.of(new ListedInstance("i-00000001", "demo", RUN.value(),
            "t3.micro", "spot", "shutting-down", START, "2026-12-02T10:30:00Z")), stored(), "cancelled"),
        Arguments.of("gave up", List.of(), stored(status("i-00000001", 1, "gave-up", 3)), "gave up"),
        Arguments.of("gone without a word", List.of(listed("i-00000001", "terminated")), stored(), "lost"),
        Arguments.of("nothing but a folder", List.of(), new StoredRun(RUN, null, List.of(), null), "lost"),
        Arguments.of("one node done, one at work", List.of(listed("i-00000002", "running")),
            stored(status("i-00000001", 0, "exited", 1)), "running"),
        Arguments.of("one node failed", List.of(),
            stored(status("i-00000001", 0, "exited", 1), status("i-00000002", 3, "exited", 1)), "failed (code 3)"),
        Arguments.of("one node lost", List.of(listed("i-00000002", "terminated")),
            stored(status("i-00000001", 0, "exited", 1)), "lost"),
        Arguments.of("finished, left running (terminateOnExit false)", List.of(listed("i-00000001", "running")),
            stored(status("i-00000001", 0, "exited", 1)), "succeeded"));
  }

  @ParameterizedTest(name = "{0}: {3}")
  @MethodSource
  void stateOfTheRun(String name, List<ListedInstance> listed, StoredRun stored, String state) {
    assertThat(Runs.of("demo", LAYOUT, RUN, listed, stored).stateLabel()).isEqualTo(state);
  }

  @Test
  void anInstanceStartedAfterASpotInterruptionIsTheNextAttempt() {
    Run run = Runs.of("demo", LAYOUT, RUN, List.of(listed("i-00000002", "running")),
        stored(status("i-00000001", 143, "spot-interruption", 1)));

    assertThat(run.attempts()).isEqualTo(2);
    assertThat(run.instances()).extracting(i -> i.instanceId() + "@" + i.attempt())
        .containsExactly("i-00000001@1", "i-00000002@2");
    assertThat(run.lastAttempt()).extracting(RunInstance::instanceId).containsExactly("i-00000002");
    assertThat(run.stateLabel()).isEqualTo("running");
    assertThat(run.log()).isEqualTo("s3://logs-bucket/runs/demo/demo-20261202-101500-3fa9/");
  }

  @Test
  void onceEc2NoLongerListsTheInstancesTheirMarketsComeFromTheirExitStatuses() {
    ExitStatus interrupted = new ExitStatus(143, "spot-interruption", "2026-12-02T10:15:05Z", "2026-12-02T10:18:05Z",
        "i-00000001", "ami-1", RUN.value(), 1, "t3.micro", "spot");
    ExitStatus finished = new ExitStatus(0, "exited", "2026-12-02T10:19:05Z", "2026-12-02T10:25:05Z", "i-00000002",
        "ami-1", RUN.value(), 2, "t3.micro", "on-demand");

    Run run = Runs.of("demo", LAYOUT, RUN, List.of(), stored(interrupted, finished));

    assertThat(run.instances()).extracting(RunInstance::market).containsExactly("spot", "on-demand");
    assertThat(RunsReport.of(List.of(run), Instant.MAX, null).runs()).singleElement()
        .extracting(RunsReport.Row::market).isEqualTo("spot, on-demand");
  }

  @Test
  void aRunStartsAtItsStampEndsAtItsLastExitAndItsOneInstancesJobLogIsItsLog() {
    Run run = Runs.of("demo", LAYOUT, RUN, List.of(listed("i-00000001", "terminated")),
        stored(status("i-00000001", 3, "exited", 1)));

    assertThat(run.startedAt()).isEqualTo(Instant.parse("2026-12-02T10:15:00Z"));
    assertThat(run.endedAt()).isEqualTo(Instant.parse("2026-12-02T10:20:05Z"));
    assertThat(run.duration(Instant.MAX)).isEqualTo(Duration.ofSeconds(305));
    assertThat(run.exitCode()).isEqualTo(3);
    assertThat(run.instances()).singleElement().satisfies(i -> {
      assertThat(i.market()).isEqualTo("spot");
      assertThat(i.instanceType()).isEqualTo("t3.micro");
    });
    assertThat(run.log()).isEqualTo("s3://logs-bucket/runs/demo/demo-20261202-101500-3fa9/i-00000001/job.log");
  }

  @Test
  void aCompleteSummaryOfARunThatEndedOverADayAgoStandsForItsExitStatuses() {
    RunSummary summary = new RunSummary(RUN.value(), "demo", "failed", "2026-12-02T10:15:05Z",
        "2026-12-02T10:20:05Z", 1, 1, List.of(new RunSummary.Node("i-00000001", "g5.xlarge", "spot", 1, 3, "exited",
            "2026-12-02T10:15:05Z", "2026-12-02T10:20:05Z")));
    Instant ended = Instant.parse("2026-12-02T10:20:05Z");

    assertThat(summary.standsAlone(RUN, ended.plus(Duration.ofHours(25)))).isTrue();
    assertThat(summary.standsAlone(RUN, ended.plus(Duration.ofHours(2)))).as("ended recently").isFalse();
    assertThat(new RunSummary(RUN.value(), "demo", "failed", null, "2026-12-02T10:20:05Z", 2, 1,
        summary.instances()).standsAlone(RUN, Instant.MAX)).as("one node of two").isFalse();

    Run run = Runs.of("demo", LAYOUT, RUN, List.of(), new StoredRun(RUN, summary, List.of(), null));
    assertThat(run.stateLabel()).isEqualTo("failed (code 3)");
    assertThat(run.instances()).singleElement().satisfies(i -> {
      assertThat(i.instanceType()).isEqualTo("g5.xlarge");
      assertThat(i.results()).isEqualTo(LAYOUT.instance(RUN, "i-00000001"));
    });
  }

  @Test
  void anOldLayoutFolderIsARunOfItsOwnUnlessEc2SaysItsInstanceBelongsToARun() {
    RunId byHand = RunId.ofInstance("i-0000000a");
    StoredRun legacy = new StoredRun(byHand, null, List.of(new StoredRun.StoredInstance("i-0000000a",
        LAYOUT.legacyInstance("i-0000000a"), new ExitStatus(0, "exited", "2026-12-01T08:00:00Z",
            "2026-12-01T08:05:00Z", "i-0000000a", "ami-1", null, null, null))), Instant.parse("2026-12-01T08:05:01Z"));
    StoredRun oldImage = new StoredRun(RunId.ofInstance("i-0000000b"), null, List.of(new StoredRun.StoredInstance(
        "i-0000000b", LAYOUT.legacyInstance("i-0000000b"), status("i-0000000b", 0, "exited", 1))), null);

    List<Run> runs = Runs.assemble("demo", LAYOUT, List.of(listed("i-0000000b", "terminated")),
        List.of(legacy, oldImage));

    assertThat(runs).extracting(r -> r.id().value() + " " + r.stateLabel() + " " + r.log()).containsExactly(
        "demo-20261202-101500-3fa9 succeeded s3://logs-bucket/runs/demo/i-0000000b/job.log",
        "i-0000000a succeeded s3://logs-bucket/runs/demo/i-0000000a/job.log");
    assertThat(runs.get(1).startedAt()).isEqualTo(Instant.parse("2026-12-01T08:00:00Z"));
    assertThat(runs.get(1).attempts()).isEqualTo(1);
  }

  @Test
  void sinceKeepsRunsStartedAfterTheCutoffAndEveryRunStillRunning() {
    RunId old = RunId.parse("demo-20261101-000000-0001");
    List<Run> runs = List.of(Runs.of("demo", LAYOUT, RUN, List.of(), stored(status("i-00000001", 0, "exited", 1))),
        Runs.of("demo", LAYOUT, old, List.of(), new StoredRun(old, null, List.of(), null)),
        Runs.of("demo", LAYOUT, RunId.parse("demo-20261102-000000-0002"),
            List.of(new ListedInstance("i-00000003", "demo", "demo-20261102-000000-0002", "t3.micro", "on-demand",
                "running", Instant.parse("2026-11-02T00:00:01Z"), null)), null));

    assertThat(Runs.since(runs, Instant.parse("2026-11-25T00:00:00Z"))).extracting(r -> r.id().value())
        .containsExactly("demo-20261202-101500-3fa9", "demo-20261102-000000-0002");
  }

  /** The run's recovering fleet as DescribeFleets lists it. */
  private static RunFleet fleet(String state, Instant validUntil) {
    return new RunFleet("fleet-0abc", "maintain", state, validUntil,
        Map.of("ami-pipeline:project", "demo", "ami-pipeline:run", RUN.value()));
  }

  static Stream<Arguments> stateOfARecoveringRun() {
    Instant later = NOW.plus(Duration.ofHours(5));
    StoredRun interrupted = stored(status("i-00000001", 143, "spot-interruption", 1));
    return Stream.of(
        Arguments.of("interrupted, its fleet replaces the instance", List.of(listed("i-00000001", "terminated")),
            interrupted, fleet("active", later), "running (recovering)"),
        Arguments.of("interrupted, its fleet modified to on demand", List.of(), interrupted,
            fleet("modifying", later), "running (recovering)"),
        Arguments.of("interrupted, the fleet's ValidUntil passed", List.of(), interrupted,
            fleet("active", NOW.minusSeconds(1)), "interrupted"),
        Arguments.of("interrupted, the fleet deleted", List.of(), interrupted, null, "interrupted"),
        Arguments.of("the replacement at work", List.of(listed("i-00000002", "pending")), interrupted,
            fleet("active", later), "running"),
        Arguments.of("no instance started yet", List.of(), null, fleet("submitted", later), "running (recovering)"),
        Arguments.of("ended, its fleet left active (leaked)", List.of(),
            stored(status("i-00000001", 143, "spot-interruption", 1), status("i-00000002", 0, "exited", 2)),
            fleet("active", later), "succeeded"),
        Arguments.of("gave up", List.of(), stored(status("i-00000001", 143, "spot-interruption", 1),
            status("i-00000002", 75, "gave-up", 2)), fleet("active", later), "gave up"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource
  void stateOfARecoveringRun(String name, List<ListedInstance> listed, StoredRun stored, RunFleet fleet,
      String state) {
    Run run = Runs.of("demo", LAYOUT, RUN, listed, stored, fleet == null ? List.of() : List.of(fleet), NOW);

    assertThat(run.stateLabel()).isEqualTo(state);
    assertThat(run.fleetIds()).hasSize(fleet == null ? 0 : 1);
  }

  /**
   * Two attempts: the first interrupted, the second (EC2 Fleet's replacement) exited 0. The results
   * are as the instance side writes them (RECOVERY.md); attempts count the instances over time.
   */
  @Test
  void aRecoveredRunHasTwoAttemptsOneRecoveryAndItsLastAttemptsEnd() {
    Run run = Runs.of("demo", LAYOUT, RUN, List.of(), stored(status("i-00000001", 143, "spot-interruption", 1),
        status("i-00000002", 0, "exited", 2)), List.of(), NOW);

    assertThat(run.attempts()).isEqualTo(2);
    assertThat(run.recoveries()).isEqualTo(1);
    assertThat(run.lastAttempt()).extracting(RunInstance::instanceId).containsExactly("i-00000002");
    assertThat(run.stateLabel()).isEqualTo("succeeded");
    assertThat(run.exitCode()).isZero();
  }

  /** The instance that found the attempts used up ran no job: it is not an attempt of its own. */
  @Test
  void anInstanceThatGaveUpIsNoAttempt() {
    Run run = Runs.of("demo", LAYOUT, RUN, List.of(), stored(status("i-00000001", 143, "spot-interruption", 1),
        status("i-00000002", 143, "spot-interruption", 2), status("i-00000003", 75, "gave-up", 3)), List.of(), NOW);

    assertThat(run.stateLabel()).isEqualTo("gave up");
    assertThat(run.attemptsMade()).isEqualTo(2);
    assertThat(run.recoveries()).isEqualTo(1);
  }

  /** A run EC2 Fleet keeps but has not yet started an instance of is listed, running. */
  @Test
  void aFleetAloneIsARun() {
    List<Run> runs = Runs.assemble("demo", LAYOUT, List.of(), List.of(), List.of(fleet("active",
        NOW.plus(Duration.ofHours(1)))), NOW);

    assertThat(runs).singleElement().satisfies(r -> {
      assertThat(r.id()).isEqualTo(RUN);
      assertThat(r.stateLabel()).isEqualTo("running (recovering)");
      assertThat(r.fleetIds()).containsExactly("fleet-0abc");
    });
  }
}
