package dev.amipipeline.leftovers;

import dev.amipipeline.common.TextTable;
import dev.amipipeline.project.Tags;
import dev.amipipeline.results.RunId;
import java.time.Instant;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Which recovering runs' fleets are leaked, as pure functions of plain values: no SDK, no clock. A
 * {@code maintain} fleet tagged {@code ami-pipeline:project} that is still active is leaked when its
 * run has ended: its ValidUntil has passed, or the run's results show a final end and no instance of
 * the run is pending or running (the instance side deletes its run's fleet at every end but a spot
 * interruption; a fleet left is one whose deletion failed, or was left by hand).
 */
public final class FleetPlanner {

  private static final Set<String> STARTING_OR_RUNNING = Set.of("pending", "running");

  private FleetPlanner() {}

  /**
   * The runs whose results decide whether their fleet leaked: those of the active fleets of
   * {@code projects} whose ValidUntil has not passed and of whose run no instance is pending or running.
   */
  public static List<RunId> runsToRead(List<RunFleet> fleets, Collection<String> projects,
      List<LiveInstance> instances, Instant now) {
    Set<String> working = workingRuns(instances);
    return ours(fleets, projects).filter(f -> !expired(f, now))
        .map(RunFleet::run).flatMap(Optional::stream)
        .filter(r -> !working.contains(r.value()))
        .distinct().toList();
  }

  /**
   * The leaked fleets of {@code projects}, by id.
   *
   * @param endedRuns why each run whose results show a final end has ended, by run id
   */
  public static List<LeakedFleet> leaked(List<RunFleet> fleets, Collection<String> projects,
      List<LiveInstance> instances, Map<String, String> endedRuns, Instant now) {
    Set<String> working = workingRuns(instances);
    return ours(fleets, projects)
        .map(f -> leak(f, working, endedRuns, now))
        .flatMap(Optional::stream)
        .sorted(Comparator.comparing(l -> l.fleet().id()))
        .toList();
  }

  private static Optional<LeakedFleet> leak(RunFleet fleet, Set<String> working, Map<String, String> endedRuns,
      Instant now) {
    if (expired(fleet, now)) {
      return Optional.of(new LeakedFleet(fleet, "its ValidUntil " + TextTable.iso(fleet.validUntil())
          + " has passed"));
    }
    String run = fleet.run().map(RunId::value).orElse(null);
    if (run == null || working.contains(run) || !endedRuns.containsKey(run)) {
      return Optional.empty();
    }
    return Optional.of(new LeakedFleet(fleet, "run " + run + " has ended (" + endedRuns.get(run) + ")"));
  }

  /** The active maintain fleets of {@code projects} that keep a run. */
  private static Stream<RunFleet> ours(List<RunFleet> fleets, Collection<String> projects) {
    return fleets.stream()
        .filter(f -> RunFleet.ACTIVE.contains(f.state()) && RunFleet.MAINTAIN.equals(f.type()))
        .filter(f -> f.project() != null && projects.contains(f.project()) && f.run().isPresent());
  }

  private static boolean expired(RunFleet fleet, Instant now) {
    return fleet.validUntil() != null && !fleet.validUntil().isAfter(now);
  }

  /** The runs with an instance pending or running. */
  private static Set<String> workingRuns(List<LiveInstance> instances) {
    return instances.stream().filter(i -> STARTING_OR_RUNNING.contains(i.state()))
        .map(i -> i.tags().get(Tags.RUN)).filter(Objects::nonNull).collect(Collectors.toSet());
  }
}
