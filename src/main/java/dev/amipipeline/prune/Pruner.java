package dev.amipipeline.prune;

import dev.amipipeline.aws.AwsClients;
import dev.amipipeline.common.Concurrently;
import dev.amipipeline.history.HistoryFile;
import dev.amipipeline.project.Project;
import dev.amipipeline.prune.Planner.Retention;
import dev.amipipeline.results.StoredRuns;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import software.amazon.awssdk.regions.Region;

/**
 * Runs prune and list: per region, read the inventory, plan, and (prune only) measure, delete and
 * mark the history. The thin edge around the pure {@link Planner}.
 */
public final class Pruner {

  /** EBS block listing is an estimate with a fallback: two attempts, then the volume size. */
  private static final int SIZE_ATTEMPTS = 2;

  /**
   * One prune run's options.
   *
   * @param keep images to keep per project and region; null means each project's own {@code keep}
   * @param history ami-history.md, whose rows of deregistered images become {@code pruned <date>}
   * @param exactSize ask the EBS direct API for each deleted snapshot's allocated blocks (one more call
   *     per snapshot) instead of reporting its volume size
   */
  public record Options(Integer keep, Duration minAge, boolean dryRun, int parallelism, Path history,
      boolean exactSize) {
    public static final int MAX_PARALLELISM = 64;

    public Options {
      if (keep != null && keep < 1) {
        throw new IllegalArgumentException("keep must be at least 1, was " + keep);
      }
      Objects.requireNonNull(minAge, "minAge");
      if (minAge.isNegative()) {
        throw new IllegalArgumentException("minAge must not be negative");
      }
      if (parallelism < 1 || parallelism > MAX_PARALLELISM) {
        throw new IllegalArgumentException("parallelism must be 1.." + MAX_PARALLELISM + ", was " + parallelism);
      }
      Objects.requireNonNull(history, "history");
    }
  }

  private final AwsClients aws;
  private final String ssmPrefix;
  private final Clock clock;
  private final Consumer<String> progress;

  public Pruner(AwsClients aws, String ssmPrefix, Clock clock, Consumer<String> progress) {
    this.aws = aws;
    this.ssmPrefix = ssmPrefix;
    this.clock = clock;
    this.progress = progress;
  }

  public PruneReport prune(List<Project> projects, Options options) {
    Instant now = clock.instant();
    String account = account();
    List<PruneReport.RegionRun> runs = new ArrayList<>();
    for (Map.Entry<String, List<Retention>> region : byRegion(projects, options.keep()).entrySet()) {
      Region r = Region.of(region.getKey());
      PrunePlan plan = plan(r, account, region.getValue(), options.minAge(), now, results(projects));
      Map<String, SnapshotSizer.Size> sizes = options.exactSize()
          ? measure(r, plan, options.parallelism())
          : SnapshotSizer.volumeSizes(plan.snapshotsToDelete());
      Execution execution = options.dryRun() || plan.isEmpty() ? Execution.nothing()
          : new PruneExecutor(aws.ec2(r), aws.ec2(r, "delete-snapshot"), options.parallelism(), progress).execute(plan);
      runs.add(new PruneReport.RegionRun(plan, sizes, execution));
    }
    markPruned(options.history(), runs, now);
    return PruneReport.of(options.dryRun(), runs);
  }

  private Map<String, SnapshotSizer.Size> measure(Region r, PrunePlan plan, int parallelism) {
    SnapshotSizer sizer = new SnapshotSizer(aws.ebs(r, SIZE_ATTEMPTS));
    return Concurrently.map(parallelism, plan.snapshotsToDelete(), sizer::measure).entrySet().stream()
        .collect(Collectors.toMap(e -> e.getKey().snapshotId(), Map.Entry::getValue));
  }

  /** The plan prune would make with each project's own keep, for showing only. */
  public ImageList list(List<Project> projects) {
    Instant now = clock.instant();
    String account = account();
    List<PrunePlan> plans = new ArrayList<>();
    byRegion(projects, null).forEach((region, retention) ->
        plans.add(plan(Region.of(region), account, retention, Duration.ZERO, now, results(projects))));
    return ImageList.of(plans);
  }

  private String account() {
    return aws.sts().getCallerIdentity().account();
  }

  private PrunePlan plan(Region region, String account, List<Retention> retention, Duration minAge, Instant now,
      InventoryReader.RunResults results) {
    progress.accept("reading images, snapshots, instances, launch templates and fleets in " + region.id());
    Inventory inventory = new InventoryReader(aws.ec2(region), aws.ssm(region), account, ssmPrefix, results)
        .read(region.id(), retention.stream().map(Retention::project).toList(), now);
    return Planner.plan(inventory, retention, minAge, now);
  }

  /**
   * Runs' results, where each project's run configuration sends them: read only for a run whose
   * fleet is still active with none of its instances at work (has the run ended?).
   */
  private InventoryReader.RunResults results(List<Project> projects) {
    Map<String, StoredRuns> byName = new ConcurrentHashMap<>();
    Map<String, Project> projectsByName =
        projects.stream().collect(Collectors.toMap(Project::name, p -> p, (a, b) -> a));
    return (project, run) -> Optional.ofNullable(projectsByName.get(project))
        .flatMap(p -> byName.computeIfAbsent(project, name -> StoredRuns.of(aws, ssmPrefix, p, progress)).end(run));
  }

  /** Regions in name order, each with the projects baked there (the project's regions, else --region). */
  private Map<String, List<Retention>> byRegion(List<Project> projects, Integer keep) {
    Map<String, List<Retention>> byRegion = new TreeMap<>();
    for (Project p : projects) {
      Retention retention = new Retention(p.name(), keep != null ? keep : p.spec().keep());
      for (String region : p.regionsOr(aws.region().id())) {
        byRegion.computeIfAbsent(region, k -> new ArrayList<>()).add(retention);
      }
    }
    return byRegion;
  }

  /** Marks the rows of deregistered images; a missing history file is left missing. */
  private void markPruned(Path history, List<PruneReport.RegionRun> runs, Instant now) {
    Set<String> deregistered = runs.stream()
        .flatMap(run -> run.plan().imagesToDelete().map(i -> i.image().id()).filter(run.execution().done()::contains))
        .collect(Collectors.toSet());
    if (!deregistered.isEmpty() && Files.exists(history)) {
      new HistoryFile(history).update(t -> t.markPruned(deregistered, LocalDate.ofInstant(now, ZoneOffset.UTC)));
    }
  }
}
