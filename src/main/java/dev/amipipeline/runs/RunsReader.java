package dev.amipipeline.runs;

import dev.amipipeline.aws.AwsClients;
import dev.amipipeline.common.Concurrently;
import dev.amipipeline.leftovers.RunFleet;
import dev.amipipeline.leftovers.RunFleets;
import dev.amipipeline.project.Project;
import dev.amipipeline.results.RunId;
import dev.amipipeline.results.StoredRun;
import dev.amipipeline.results.StoredRuns;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * Reads runs from EC2 and S3 for {@code ami runs}, {@code ami logs} and {@code ami cancel}: one
 * paginated DescribeInstances for every project asked about, one paginated DescribeFleets (recovering
 * runs' fleets), then each project's results where its baked run configuration says they are.
 */
public final class RunsReader {

  /** Runs whose results are read at once. */
  static final int PARALLEL_READS = 8;

  private final AwsClients aws;
  private final String ssmPrefix;
  private final Consumer<String> progress;
  private final Map<String, StoredRuns> stored = new ConcurrentHashMap<>();

  public RunsReader(AwsClients aws, String ssmPrefix, Consumer<String> progress) {
    this.aws = aws;
    this.ssmPrefix = ssmPrefix;
    this.progress = progress;
  }

  public RunInstances instances() {
    return new RunInstances(aws.ec2());
  }

  /** Where {@code project}'s results are, as its instances were told at bake time (read once). */
  public StoredRuns stored(Project project) {
    return stored.computeIfAbsent(project.name(), name -> stored(project, progress));
  }

  private StoredRuns stored(Project project, Consumer<String> notes) {
    return StoredRuns.of(aws, ssmPrefix, project, notes);
  }

  /**
   * Every run of these projects that started at or after {@code cutoff} or still runs, newest first.
   * A run folder whose id says it started before the cutoff is not read unless EC2 still lists the run.
   *
   * @param cutoff null: every run
   */
  public List<Run> list(List<Project> projects, Instant now, Instant cutoff) {
    List<ListedInstance> listed = instances().ofProjects(projects.stream().map(Project::name).toList());
    List<RunFleet> fleets = RunFleets.active(aws.ec2());
    List<Run> all = new ArrayList<>();
    for (Project project : projects) {
      List<ListedInstance> mine = listed.stream().filter(i -> project.name().equals(i.project())).toList();
      Set<String> inEc2 = mine.stream().map(i -> i.run().value()).collect(Collectors.toCollection(HashSet::new));
      fleets.stream().filter(f -> project.name().equals(f.project())).flatMap(f -> f.run().stream())
          .forEach(r -> inEc2.add(r.value()));
      StoredRuns stored = stored(project);
      List<RunId> toRead = stored.folders().stream().filter(id -> cutoff == null || id.isInstanceId()
          || !id.startedAt().isBefore(cutoff) || inEc2.contains(id.value())).toList();
      List<StoredRun> read = new ArrayList<>(
          Concurrently.map(PARALLEL_READS, toRead, id -> stored.read(id, now, cutoff)).values());
      all.addAll(Runs.assemble(project.name(), stored.layout(), mine, read, fleets, now));
    }
    List<Run> newestFirst = all.stream().sorted(Runs.NEWEST_FIRST).toList();
    return cutoff == null ? newestFirst : Runs.since(newestFirst, cutoff);
  }

  /**
   * One run of {@code project}, or empty when neither EC2 nor S3 knows it. An instance of the run
   * whose results are not in the run's folder is looked for in the old layout (an image baked by an
   * earlier version files them there).
   */
  public Optional<Run> one(Project project, RunId id, Instant now) {
    List<ListedInstance> listed = instances().ofRun(project.name(), id);
    StoredRuns stored = stored(project);
    StoredRun read = stored.read(id, now, null);
    if (!id.isInstanceId()) {
      List<StoredRun.StoredInstance> found = new ArrayList<>(read.instances());
      for (ListedInstance i : listed) {
        if (found.stream().noneMatch(s -> s.instanceId().equals(i.instanceId()))
            && (read.summary() == null || read.summary().instances().stream()
                .noneMatch(n -> i.instanceId().equals(n.instanceId())))) {
          stored.legacy(i.instanceId()).ifPresent(found::add);
        }
      }
      read = new StoredRun(id, read.summary(), found, read.lastModified());
    }
    List<RunFleet> fleets = id.isInstanceId() ? List.of() : RunFleets.active(aws.ec2()).stream()
        .filter(f -> project.name().equals(f.project()) && f.run().filter(id::equals).isPresent()).toList();
    if (listed.isEmpty() && read.isEmpty() && fleets.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(Runs.of(project.name(), stored.layout(), id, listed, read, fleets, now));
  }

  /** The first of {@code projects} whose results hold a folder of {@code run} (quietly: most hold none). */
  public Optional<Project> holding(RunId run, List<Project> projects) {
    return projects.stream().filter(p -> !stored(p, note -> { }).read(run, Instant.EPOCH, null).isEmpty())
        .findFirst();
  }
}
