package dev.amipipeline.leftovers;

import static org.assertj.core.api.Assertions.assertThat;

import dev.amipipeline.results.RunId;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which recovering runs' fleets are leaked: pure, from fleets, instances and what the runs' results say. */
class FleetPlannerTest {

  private static final Instant NOW = Instant.parse("2026-12-02T12:00:00Z");
  private static final String ENDED = "demo-20261202-100000-0001";
  private static final String RECOVERING = "demo-20261202-100000-0002";
  private static final String AT_WORK = "demo-20261202-100000-0003";
  private static final String EXPIRED = "demo-20261202-100000-0004";

  private static RunFleet fleet(String id, String run, String state, Instant validUntil) {
    return new RunFleet(id, "maintain", state, validUntil, Map.of("ami-pipeline:project", "demo",
        "ami-pipeline:run", run));
  }

  private static LiveInstance instance(String id, String run, String state) {
    return new LiveInstance(id, "ami-1", state, NOW.minusSeconds(600), Map.of("ami-pipeline:project", "demo",
        "ami-pipeline:run", run), null, List.of());
  }

  private static final Instant LATER = NOW.plus(Duration.ofHours(3));
  private static final List<RunFleet> FLEETS = List.of(
      fleet("fleet-1", ENDED, "active", LATER),
      fleet("fleet-2", RECOVERING, "active", LATER),
      fleet("fleet-3", AT_WORK, "modifying", LATER),
      fleet("fleet-4", EXPIRED, "active", NOW.minusSeconds(1)),
      new RunFleet("fleet-5", "maintain", "active", LATER, Map.of("ami-pipeline:project", "ml",
          "ami-pipeline:run", "ml-20261202-100000-0005")));
  private static final List<LiveInstance> INSTANCES = List.of(instance("i-1", ENDED, "shutting-down"),
      instance("i-3", AT_WORK, "running"));

  @Test
  void onlyRunsWithoutAnInstanceAtWorkAndBeforeTheirCeilingHaveTheirResultsRead() {
    assertThat(FleetPlanner.runsToRead(FLEETS, List.of("demo"), INSTANCES, NOW)).extracting(RunId::value)
        .containsExactly(ENDED, RECOVERING);
  }

  @Test
  void aFleetIsLeakedWhenItsRunHasEndedOrItsValidUntilHasPassed() {
    List<LeakedFleet> leaked = FleetPlanner.leaked(FLEETS, List.of("demo"), INSTANCES,
        Map.of(ENDED, "run.json: succeeded", AT_WORK, "i-2: exited, exit code 0"), NOW);

    assertThat(leaked).extracting(l -> l.fleet().id() + ": " + l.why()).containsExactly(
        "fleet-1: run " + ENDED + " has ended (run.json: succeeded)",
        "fleet-4: its ValidUntil 2026-12-02T11:59:59Z has passed");
  }

  @Test
  void anotherProjectsOrADeletedFleetIsNeverOurs() {
    List<RunFleet> fleets = List.of(fleet("fleet-1", ENDED, "deleted_running", LATER),
        new RunFleet("fleet-6", "instant", "active", NOW.minusSeconds(5), Map.of("ami-pipeline:project", "demo",
            "ami-pipeline:run", ENDED)));

    assertThat(FleetPlanner.leaked(fleets, List.of("demo"), List.of(), Map.of(ENDED, "run.json: failed"), NOW))
        .isEmpty();
    assertThat(FleetPlanner.leaked(FLEETS, List.of("ml"), List.of(), Map.of(), NOW)).isEmpty();
  }
}
