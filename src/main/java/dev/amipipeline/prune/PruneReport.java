package dev.amipipeline.prune;

import dev.amipipeline.common.Durations;
import dev.amipipeline.common.ExitCode;
import dev.amipipeline.leftovers.BuilderPlan;
import dev.amipipeline.leftovers.LeakedFleet;
import dev.amipipeline.common.Report;
import dev.amipipeline.prune.PrunePlan.ImagePlan;
import dev.amipipeline.prune.PrunePlan.ProjectPlan;
import dev.amipipeline.prune.PrunePlan.SnapshotPlan;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The result of {@code ami prune}: every image with its status and the reason it stays, then the
 * totals. Text for people, the same record as JSON for scripts. Built by a pure function from the
 * plans, the measured sizes and what was done.
 */
public record PruneReport(boolean dryRun, List<RegionResult> regions, Totals totals, List<Failure> failures,
    List<String> notes) implements Report {

  /** EBS snapshot storage, standard tier, per GB-month. */
  public static final double DOLLARS_PER_GIB_MONTH = 0.05;

  public PruneReport {
    regions = List.copyOf(regions);
    failures = List.copyOf(failures);
    notes = List.copyOf(notes);
    Objects.requireNonNull(totals, "totals");
  }

  /**
   * Status words: {@code kept}, {@code shared} (a snapshot a kept image also uses), {@code delete}
   * (planned), {@code deleted}, {@code failed}.
   */
  public static final String KEPT = "kept";
  public static final String SHARED = "shared";
  public static final String DELETE = "delete";
  public static final String DELETED = "deleted";
  public static final String FAILED = "failed";

  public record RegionResult(String region, List<ProjectResult> projects) {
    public RegionResult {
      projects = List.copyOf(projects);
    }
  }

  public record ProjectResult(String project, int keep, String minAge, List<ImageRow> images,
      List<SnapshotRow> orphanSnapshots, List<BuilderRow> staleBuilders, List<FleetRow> leakedFleets) {
    public ProjectResult {
      images = List.copyOf(images);
      orphanSnapshots = List.copyOf(orphanSnapshots);
      staleBuilders = List.copyOf(staleBuilders);
      leakedFleets = List.copyOf(leakedFleets);
    }
  }

  /** {@code reasons} is empty exactly when the image is (to be) deleted. */
  public record ImageRow(String imageId, String name, String created, String status, List<String> reasons,
      List<SnapshotRow> snapshots, double gib, String error) {
    public ImageRow {
      reasons = List.copyOf(reasons);
      snapshots = List.copyOf(snapshots);
      if (reasons.isEmpty() == KEPT.equals(status)) {
        throw new IllegalArgumentException(imageId + ": status " + status + " with reasons " + reasons);
      }
    }
  }

  /** {@code exactSize}: the allocated blocks were counted; else {@code gib} is the volume size. */
  public record SnapshotRow(String snapshotId, double gib, boolean exactSize, String status, List<String> keptBy,
      String error) {
    public SnapshotRow {
      keptBy = List.copyOf(keptBy);
    }
  }

  public record BuilderRow(String instanceId, String launched, String keyPair, List<String> securityGroups,
      String status, String error) {
    public BuilderRow {
      securityGroups = List.copyOf(securityGroups);
    }
  }

  /** A recovering run's fleet still active after its run ended: why it counts as ended, and what became of it. */
  public record FleetRow(String fleetId, String runId, String validUntil, String why, String status, String error) {}

  /** In a dry run, what would be removed; otherwise what was. */
  public record Totals(int imagesDeregistered, int snapshotsDeleted, int buildersTerminated, int fleetsDeleted,
      double gibFreed, double dollarsPerMonth) {}

  public record Failure(String region, String resource, String error) {}

  /** One region's plan, the sizes measured for the snapshots it deletes, and what was done. */
  record RegionRun(PrunePlan plan, Map<String, SnapshotSizer.Size> sizes, Execution execution) {}

  static PruneReport of(boolean dryRun, List<RegionRun> runs) {
    List<RegionResult> regions = new ArrayList<>();
    List<Failure> failures = new ArrayList<>();
    List<String> notes = new ArrayList<>();
    for (RegionRun run : runs) {
      Rows rows = new Rows(dryRun, run);
      regions.add(new RegionResult(run.plan().region(), run.plan().projects().stream().map(rows::project).toList()));
      run.execution().sortedFailures().forEach((resource, error) ->
          failures.add(new Failure(run.plan().region(), resource, error)));
      run.plan().notes().forEach(n -> notes.add(run.plan().region() + ": " + n));
      rows.sizeNote().ifPresent(n -> notes.add(run.plan().region() + ": " + n));
    }
    return new PruneReport(dryRun, regions, totals(dryRun, regions), failures, notes);
  }

  private static Totals totals(boolean dryRun, List<RegionResult> regions) {
    String counted = dryRun ? DELETE : DELETED;
    List<ProjectResult> projects = regions.stream().flatMap(r -> r.projects().stream()).toList();
    int images = (int) projects.stream().flatMap(p -> p.images().stream())
        .filter(i -> counted.equals(i.status())).count();
    Map<String, SnapshotRow> snapshots = new LinkedHashMap<>();
    projects.stream()
        .flatMap(p -> Stream.concat(p.images().stream().flatMap(i -> i.snapshots().stream()),
            p.orphanSnapshots().stream()))
        .filter(s -> counted.equals(s.status()))
        .forEach(s -> snapshots.putIfAbsent(s.snapshotId(), s));
    int builders = (int) projects.stream().flatMap(p -> p.staleBuilders().stream())
        .filter(b -> counted.equals(b.status())).count();
    int fleets = (int) projects.stream().flatMap(p -> p.leakedFleets().stream())
        .filter(f -> counted.equals(f.status())).count();
    double gib = snapshots.values().stream().mapToDouble(SnapshotRow::gib).sum();
    return new Totals(images, snapshots.size(), builders, fleets, round(gib, 1),
        round(gib * DOLLARS_PER_GIB_MONTH, 2));
  }

  private static double round(double value, int decimals) {
    double scale = Math.pow(10, decimals);
    return Math.round(value * scale) / scale;
  }

  /** Turns one region's plan into rows; a planned deletion's status comes from what was done. */
  private static final class Rows {
    private final boolean dryRun;
    private final RegionRun run;
    private int approximate;
    private int measured;
    private String firstReason;

    Rows(boolean dryRun, RegionRun run) {
      this.dryRun = dryRun;
      this.run = run;
    }

    ProjectResult project(ProjectPlan p) {
      return new ProjectResult(p.project(), p.keep(), Durations.format(p.minAge()),
          p.images().stream().map(this::image).toList(),
          p.orphanSnapshots().stream().map(s -> snapshot(s, true)).toList(),
          p.staleBuilders().stream().map(this::builder).toList(),
          p.leakedFleets().stream().map(this::fleet).toList());
    }

    private FleetRow fleet(LeakedFleet leaked) {
      ImageList.ListedFleet f = ImageList.ListedFleet.of(leaked);
      return new FleetRow(f.fleetId(), f.runId(), f.validUntil(), f.why(), status(f.fleetId()),
          run.execution().failures().get(f.fleetId()));
    }

    private ImageRow image(ImagePlan plan) {
      List<SnapshotRow> snapshots = plan.snapshots().stream().map(s -> snapshot(s, plan.delete())).toList();
      String id = plan.image().id();
      return new ImageRow(id, plan.image().name(), Text.iso(plan.image().created()),
          plan.delete() ? status(id) : KEPT, plan.reasons().stream().map(KeepReason::text).toList(), snapshots,
          snapshots.stream().mapToDouble(SnapshotRow::gib).sum(), run.execution().failures().get(id));
    }

    private SnapshotRow snapshot(SnapshotPlan s, boolean imageDeleted) {
      String id = s.snapshotId();
      SnapshotSizer.Size size = run.sizes().get(id);
      boolean deleting = imageDeleted && !s.shared();
      if (deleting) {
        measured++;
        if (size == null || !size.exact()) {
          approximate++;
          firstReason = firstReason != null ? firstReason : size == null ? "not measured" : size.approximateBecause();
        }
      }
      String status = !imageDeleted ? KEPT : s.shared() ? SHARED : status(id);
      return new SnapshotRow(id, size == null ? s.sizeGiB() : size.gib(), size != null && size.exact(), status,
          s.keptBy(), run.execution().failures().get(id));
    }

    private BuilderRow builder(BuilderPlan b) {
      String id = b.instance().id();
      return new BuilderRow(id, Text.iso(b.instance().launched()), b.keyPair(), b.securityGroupIds(), status(id),
          run.execution().failures().get(id));
    }

    private String status(String resource) {
      if (run.execution().done().contains(resource)) {
        return DELETED;
      }
      return run.execution().failures().containsKey(resource) ? FAILED : DELETE;
    }

    Optional<String> sizeNote() {
      if (approximate == 0) {
        return Optional.empty();
      }
      return Optional.of(String.format(Locale.ROOT, "%d of %d snapshot sizes are the volume size, not the allocated"
          + " size: %s", approximate, measured, firstReason));
    }
  }

  @Override
  public ExitCode exitCode() {
    return failures.isEmpty() ? ExitCode.OK : ExitCode.FAILED;
  }

  @Override
  public String toText() {
    StringBuilder sb = new StringBuilder();
    if (dryRun) {
      sb.append("dry run: nothing was changed\n\n");
    }
    for (RegionResult region : regions) {
      for (ProjectResult p : region.projects()) {
        sb.append(Text.heading(region.region(), p.project(), p.keep(),
            p.minAge().equals("0") ? "" : " · min-age " + p.minAge()));
        if (p.images().isEmpty()) {
          sb.append("  no images\n");
        } else {
          sb.append(Text.table(List.of("IMAGE", "NAME", "CREATED", "STATUS", "SNAPSHOTS", "GiB"),
              p.images().stream().map(PruneReport::tableRow).toList()));
        }
        p.orphanSnapshots().forEach(s -> sb.append("orphan snapshot ").append(s.snapshotId()).append(" (")
            .append(Text.gib(s.gib())).append(" GiB, its image is gone): ").append(statusText(s.status(), s.error()))
            .append('\n'));
        p.staleBuilders().forEach(b -> sb.append("stale builder ").append(b.instanceId()).append(" (launched ")
            .append(b.launched()).append(")").append(b.keyPair() == null ? "" : ", key pair " + b.keyPair())
            .append(b.securityGroups().isEmpty() ? "" : ", security group " + String.join(", ", b.securityGroups()))
            .append(": ").append(b.status().equals(DELETE) ? "terminate" : b.status().equals(DELETED) ? "terminated"
                : statusText(b.status(), b.error())).append('\n'));
        p.leakedFleets().forEach(f -> sb.append("leaked fleet ").append(f.fleetId()).append(" of run ")
            .append(f.runId()).append(" (").append(f.why()).append("): ")
            .append(f.status().equals(DELETE) ? "delete with its instances" : statusText(f.status(), f.error()))
            .append('\n'));
        sb.append('\n');
      }
    }
    sb.append(summary());
    notes.forEach(n -> sb.append("\nnote: ").append(n));
    failures.forEach(f -> sb.append("\nFAILED ").append(f.region()).append(' ').append(f.resource()).append(": ")
        .append(f.error()));
    if (!failures.isEmpty()) {
      sb.append("\n").append(Text.plural(failures.size(), "failure"))
          .append("; the rest was done. Fix the cause and run prune again: it picks up where it stopped.");
    }
    return sb.toString().stripTrailing();
  }

  private String summary() {
    Totals t = totals;
    String freed = Text.gib(t.gibFreed()) + " GiB ≈ $" + String.format(Locale.ROOT, "%.2f", t.dollarsPerMonth())
        + "/month (at $" + DOLLARS_PER_GIB_MONTH + " per GB-month)";
    String builders = t.buildersTerminated() == 0 ? "" : ", " + Text.plural(t.buildersTerminated(), "stale builder");
    String fleets = t.fleetsDeleted() == 0 ? "" : ", " + Text.plural(t.fleetsDeleted(), "leaked fleet");
    if (dryRun) {
      return "would deregister " + Text.plural(t.imagesDeregistered(), "image") + ", delete "
          + Text.plural(t.snapshotsDeleted(), "snapshot") + fleets + builders + "; would free " + freed;
    }
    return Text.plural(t.imagesDeregistered(), "image") + " deregistered, "
        + Text.plural(t.snapshotsDeleted(), "snapshot") + fleets + " deleted"
        + (builders.isEmpty() ? "" : builders + " terminated") + "; freed " + freed;
  }

  private static List<String> tableRow(ImageRow i) {
    String status = i.status().equals(KEPT) ? Text.firstFew(i.reasons()) : statusText(i.status(), i.error());
    List<String> shared = i.snapshots().stream().filter(s -> s.status().equals(SHARED))
        .map(s -> s.snapshotId() + " (shared with " + String.join(", ", s.keptBy()) + ")").toList();
    if (!shared.isEmpty()) {
      status += "; keeps " + String.join(", ", shared);
    }
    return List.of(i.imageId(), i.name(), Text.minute(Instant.parse(i.created())), status,
        String.valueOf(i.snapshots().size()), Text.gib(i.gib()));
  }

  private static String statusText(String status, String error) {
    return FAILED.equals(status) ? "FAILED: " + error : status;
  }
}
