package dev.amipipeline.runs;

import dev.amipipeline.leftovers.RunFleet;
import dev.amipipeline.results.ExitStatus;
import dev.amipipeline.results.ResultFolder;
import dev.amipipeline.results.ResultLayout;
import dev.amipipeline.results.RunEnd;
import dev.amipipeline.results.RunId;
import dev.amipipeline.results.RunSummary;
import dev.amipipeline.results.StoredRun;
import dev.amipipeline.results.Timestamps;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * Runs from what EC2 lists and what S3 holds: which instances make each run, their attempts, the
 * run's state, start and end. Pure: no AWS, no clock.
 */
public final class Runs {

  /** Newest first by start, runs of unknown start last. */
  static final Comparator<Run> NEWEST_FIRST = Comparator
      .comparing(Run::startedAt, Comparator.nullsLast(Comparator.reverseOrder()))
      .thenComparing(r -> r.id().value(), Comparator.reverseOrder());

  private Runs() {}

  /**
   * Every run of {@code project} found in EC2 or S3, newest first. A folder of the old layout
   * ({@code <P>/<instance-id>/}) whose instance EC2 still lists as part of a run joins that run.
   */
  public static List<Run> assemble(String project, ResultLayout layout, List<ListedInstance> listed,
      List<StoredRun> stored) {
    return assemble(project, layout, listed, stored, List.of(), Instant.EPOCH);
  }

  /**
   * The same, with the project's active fleets: a run a fleet still keeps is among them even before
   * EC2 has started an instance of it.
   *
   * @param now when the fleets were read, to tell whether their ValidUntil has passed
   */
  public static List<Run> assemble(String project, ResultLayout layout, List<ListedInstance> listed,
      List<StoredRun> stored, List<RunFleet> fleets, Instant now) {
    Map<String, List<ListedInstance>> listedByRun = new LinkedHashMap<>();
    Map<String, RunId> ids = new LinkedHashMap<>();
    for (ListedInstance i : listed) {
      ids.putIfAbsent(i.run().value(), i.run());
      listedByRun.computeIfAbsent(i.run().value(), k -> new ArrayList<>()).add(i);
    }
    Map<String, StoredRun> storedByRun = new LinkedHashMap<>();
    for (StoredRun s : stored) {
      ListedInstance owner = s.id().isInstanceId() ? listed.stream()
          .filter(i -> i.instanceId().equals(s.id().value()) && !i.run().equals(s.id())).findFirst().orElse(null)
          : null;
      RunId id = owner == null ? s.id() : owner.run();
      ids.putIfAbsent(id.value(), id);
      storedByRun.merge(id.value(), owner == null ? s : new StoredRun(id, null, s.instances(), s.lastModified()),
          Runs::merged);
    }
    Map<String, List<RunFleet>> fleetsByRun = new LinkedHashMap<>();
    for (RunFleet f : fleets) {
      f.run().filter(r -> project.equals(f.project())).ifPresent(r -> {
        ids.putIfAbsent(r.value(), r);
        fleetsByRun.computeIfAbsent(r.value(), k -> new ArrayList<>()).add(f);
      });
    }
    return ids.values().stream()
        .map(id -> of(project, layout, id, listedByRun.getOrDefault(id.value(), List.of()),
            storedByRun.get(id.value()), fleetsByRun.getOrDefault(id.value(), List.of()), now))
        .sorted(NEWEST_FIRST).toList();
  }

  /** One run from its instances in EC2 and what S3 holds of it (null: nothing). */
  public static Run of(String project, ResultLayout layout, RunId id, List<ListedInstance> listed, StoredRun stored) {
    return of(project, layout, id, listed, stored, List.of(), Instant.EPOCH);
  }

  /**
   * One run from its instances in EC2, what S3 holds of it (null: nothing) and its active fleets. A
   * run whose fleet still replaces instances (active, ValidUntil not passed at {@code now}) and whose
   * results show no final end is running, recovering, even while none of its instances is.
   */
  public static Run of(String project, ResultLayout layout, RunId id, List<ListedInstance> listed, StoredRun stored,
      List<RunFleet> fleets, Instant now) {
    RunSummary summary = stored == null ? null : stored.summary();
    Map<String, ExitStatus> statuses = new LinkedHashMap<>();
    Map<String, ResultFolder> folders = new LinkedHashMap<>();
    if (summary != null && summary.runId() != null && summary.runId().equals(id.value())) {
      summary.instances().stream().filter(n -> n.instanceId() != null)
          .forEach(n -> statuses.put(n.instanceId(), n.exitStatus(id.value())));
    }
    if (stored != null) {
      for (StoredRun.StoredInstance s : stored.instances()) {
        folders.put(s.instanceId(), s.folder());
        if (s.status() != null) {
          statuses.put(s.instanceId(), s.status()); // the instance's own file over the summary's copy
        }
      }
    }
    Map<String, ListedInstance> byId = new LinkedHashMap<>();
    listed.forEach(i -> byId.put(i.instanceId(), i));
    TreeSet<String> instanceIds = new TreeSet<>(byId.keySet());
    instanceIds.addAll(statuses.keySet());
    instanceIds.addAll(folders.keySet());
    int current = 1 + (int) statuses.values().stream()
        .filter(s -> ExitStatus.SPOT_INTERRUPTION.equals(s.reason())).count();
    List<RunInstance> instances = new ArrayList<>();
    for (String instanceId : instanceIds) {
      ListedInstance l = byId.get(instanceId);
      ExitStatus status = statuses.get(instanceId);
      instances.add(new RunInstance(instanceId, status == null ? current : status.attemptOrFirst(),
          firstNonNull(l == null ? null : l.instanceType(), status == null ? null : status.instanceType()),
          firstNonNull(l == null ? null : l.market(), status == null ? null : status.market()),
          l == null ? null : l.state(), l == null ? null : l.launchTime(),
          l == null ? null : l.cancelledAt(), status,
          folders.getOrDefault(instanceId, layout.instance(id, instanceId))));
    }
    instances.sort(Comparator.comparingInt(RunInstance::attempt)
        .thenComparing(RunInstance::launchTime, Comparator.nullsLast(Comparator.naturalOrder()))
        .thenComparing(RunInstance::instanceId));
    int last = instances.stream().mapToInt(RunInstance::attempt).max().orElse(1);
    boolean replacing = fleets.stream().anyMatch(f -> f.replaces(now))
        && RunEnd.why(summary, statuses.values()).isEmpty();
    Verdict verdict = verdict(instances, instances.stream().filter(i -> i.attempt() == last).toList(), replacing);
    return new Run(id, project, started(id, instances, summary, stored), ended(verdict.state(), instances, summary),
        instances, verdict.state(), verdict.exitCode(), layout.run(id), verdict.recovering(),
        fleets.stream().map(RunFleet::id).toList());
  }

  /** Runs that started at or after {@code cutoff}, and every run that still runs. */
  public static List<Run> since(List<Run> runs, Instant cutoff) {
    return runs.stream().filter(r -> r.state() == RunState.RUNNING || r.startedAt() == null
        || !r.startedAt().isBefore(cutoff)).toList();
  }

  /**
   * A state and the exit code behind it.
   *
   * @param recovering running only because its fleet replaces what was interrupted
   */
  record Verdict(RunState state, Integer exitCode, boolean recovering) {
    Verdict(RunState state, Integer exitCode) {
      this(state, exitCode, false);
    }
  }

  /**
   * The run's state from its instances: a cancel wins, then an instance still at work, then a fleet
   * that replaces interrupted ones ({@code replacing}: running, recovering), then the worst end of the
   * last attempt (setup failure, timeout, interruption, a non-zero exit), then an instance gone without
   * a word; all exited 0 is success.
   */
  static Verdict verdict(List<RunInstance> all, List<RunInstance> last, boolean replacing) {
    Optional<RunInstance> cancelled = last.stream().filter(i -> reason(i, ExitStatus.CANCELLED)).findFirst();
    if (all.stream().anyMatch(i -> i.cancelledAt() != null) || cancelled.isPresent()) {
      return new Verdict(RunState.CANCELLED, cancelled.map(i -> i.exitStatus().exitCode()).orElse(null));
    }
    if (last.stream().anyMatch(i -> i.exitStatus() == null && i.live())) {
      return new Verdict(RunState.RUNNING, null);
    }
    if (replacing) {
      return new Verdict(RunState.RUNNING, null, true);
    }
    for (Map.Entry<String, RunState> end : List.of(Map.entry(ExitStatus.GAVE_UP, RunState.GAVE_UP),
        Map.entry(ExitStatus.SETUP_FAILED, RunState.SETUP_FAILED), Map.entry(ExitStatus.TIMEOUT, RunState.TIMED_OUT),
        Map.entry(ExitStatus.SPOT_INTERRUPTION, RunState.INTERRUPTED))) {
      Optional<RunInstance> hit = last.stream().filter(i -> reason(i, end.getKey())).findFirst();
      if (hit.isPresent()) {
        return new Verdict(end.getValue(), hit.get().exitStatus().exitCode());
      }
    }
    Optional<RunInstance> failed = last.stream().filter(i -> i.exitStatus() != null && i.exitStatus().exitCode() != 0)
        .findFirst();
    if (failed.isPresent()) {
      return new Verdict(RunState.FAILED, failed.get().exitStatus().exitCode());
    }
    if (last.isEmpty() || last.stream().anyMatch(i -> i.exitStatus() == null)) {
      return new Verdict(RunState.LOST, null);
    }
    return new Verdict(RunState.SUCCEEDED, 0);
  }

  private static boolean reason(RunInstance i, String reason) {
    return i.exitStatus() != null && reason.equals(i.exitStatus().reason());
  }

  private static Instant started(RunId id, List<RunInstance> instances, RunSummary summary, StoredRun stored) {
    if (id.startedAt() != null) {
      return id.startedAt();
    }
    return Stream.of(instances.stream().map(RunInstance::launchTime),
            instances.stream().map(i -> i.exitStatus() == null ? null : i.exitStatus().started().orElse(null)),
            Stream.of(summary == null ? null : summary.started().orElse(null)),
            Stream.of(stored == null ? null : stored.lastModified()))
        .flatMap(s -> s).filter(Objects::nonNull).min(Comparator.naturalOrder()).orElse(null);
  }

  private static Instant ended(RunState state, List<RunInstance> instances, RunSummary summary) {
    if (state == RunState.RUNNING) {
      return null;
    }
    Optional<Instant> last = Stream.concat(
            instances.stream().map(i -> i.exitStatus() == null ? null : i.exitStatus().ended().orElse(null)),
            Stream.of(summary == null ? null : summary.ended().orElse(null)))
        .filter(Objects::nonNull).max(Comparator.naturalOrder());
    if (last.isPresent()) {
      return last.get();
    }
    return instances.stream().map(RunInstance::cancelledAt).filter(Objects::nonNull)
        .map(t -> Timestamps.parse(t).orElse(null)).filter(Objects::nonNull).max(Comparator.naturalOrder())
        .orElse(null);
  }

  private static StoredRun merged(StoredRun a, StoredRun b) {
    List<StoredRun.StoredInstance> instances = new ArrayList<>(a.instances());
    instances.addAll(b.instances());
    Instant modified = Stream.of(a.lastModified(), b.lastModified()).filter(Objects::nonNull)
        .max(Comparator.naturalOrder()).orElse(null);
    return new StoredRun(a.id(), a.summary() != null ? a.summary() : b.summary(), instances, modified);
  }

  private static String firstNonNull(String a, String b) {
    return a != null ? a : b;
  }
}
