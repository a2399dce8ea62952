package dev.amipipeline.prune;

import dev.amipipeline.leftovers.LeakedFleet;
import dev.amipipeline.leftovers.RunFleet;
import dev.amipipeline.prune.PrunePlan.ImagePlan;
import dev.amipipeline.prune.PrunePlan.ProjectPlan;
import dev.amipipeline.prune.PrunePlan.SnapshotPlan;
import dev.amipipeline.results.RunId;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The result of {@code ami list}: the same plan prune would make with each project's keep, shown as
 * each image's standing. Changes nothing.
 */
public record ImageList(List<RegionListing> regions, List<String> notes) implements dev.amipipeline.common.Report {

  /** Status words, strongest first. */
  public static final String CURRENT = "current";
  public static final String IN_USE = "in use";
  public static final String KEPT = "kept";
  public static final String PRUNABLE = "prunable";

  public ImageList {
    regions = List.copyOf(regions);
    notes = List.copyOf(notes);
  }

  public record RegionListing(String region, List<ProjectListing> projects) {
    public RegionListing {
      projects = List.copyOf(projects);
    }
  }

  /** {@code orphanSnapshots}, {@code staleBuilders} and {@code leakedFleets}: what prune would also clean up. */
  public record ProjectListing(String project, int keep, List<ListedImage> images, List<String> orphanSnapshots,
      List<String> staleBuilders, List<ListedFleet> leakedFleets) {
    public ProjectListing {
      images = List.copyOf(images);
      orphanSnapshots = List.copyOf(orphanSnapshots);
      staleBuilders = List.copyOf(staleBuilders);
      leakedFleets = List.copyOf(leakedFleets);
    }
  }

  /** A recovering run's fleet still active after the run ended, and why it counts as ended. */
  public record ListedFleet(String fleetId, String runId, String validUntil, String why) {
    static ListedFleet of(LeakedFleet leaked) {
      RunFleet f = leaked.fleet();
      return new ListedFleet(f.id(), f.run().map(RunId::value).orElse(null),
          f.validUntil() == null ? null : Text.iso(f.validUntil()), leaked.why());
    }

    @Override
    public String toString() {
      return fleetId + " of run " + runId + ": " + why;
    }
  }

  public record ListedImage(String imageId, String name, String created, String status, List<String> reasons,
      List<String> snapshots, int gib) {
    public ListedImage {
      reasons = List.copyOf(reasons);
      snapshots = List.copyOf(snapshots);
    }
  }

  static ImageList of(List<PrunePlan> plans) {
    List<RegionListing> regions = new ArrayList<>();
    List<String> notes = new ArrayList<>();
    for (PrunePlan plan : plans) {
      regions.add(new RegionListing(plan.region(), plan.projects().stream().map(ImageList::project).toList()));
      plan.notes().forEach(n -> notes.add(plan.region() + ": " + n));
    }
    return new ImageList(regions, notes);
  }

  private static ProjectListing project(ProjectPlan p) {
    return new ProjectListing(p.project(), p.keep(), p.images().stream().map(ImageList::image).toList(),
        p.orphanSnapshots().stream().map(SnapshotPlan::snapshotId).toList(),
        p.staleBuilders().stream().map(b -> b.instance().id()).toList(),
        p.leakedFleets().stream().map(ListedFleet::of).toList());
  }

  private static ListedImage image(ImagePlan plan) {
    return new ListedImage(plan.image().id(), plan.image().name(), Text.iso(plan.image().created()), status(plan),
        plan.reasons().stream().map(KeepReason::text).toList(),
        plan.snapshots().stream().map(SnapshotPlan::snapshotId).toList(), plan.sizeGiB());
  }

  /** The one word for an image's standing; the reasons say the rest. */
  static String status(ImagePlan plan) {
    List<KeepReason> reasons = plan.reasons();
    if (reasons.stream().anyMatch(r -> r instanceof KeepReason.Current)) {
      return CURRENT;
    }
    if (reasons.stream().anyMatch(r -> r instanceof KeepReason.InUse || r instanceof KeepReason.InLaunchTemplate)) {
      return IN_USE;
    }
    return reasons.isEmpty() ? PRUNABLE : KEPT;
  }

  @Override
  public String toText() {
    StringBuilder sb = new StringBuilder();
    for (RegionListing region : regions) {
      for (ProjectListing p : region.projects()) {
        sb.append(Text.heading(region.region(), p.project(), p.keep(), ""));
        if (p.images().isEmpty()) {
          sb.append("  no images\n");
        } else {
          sb.append(Text.table(List.of("IMAGE", "NAME", "CREATED", "STATUS", "WHY", "GiB"),
              p.images().stream().map(i -> List.of(i.imageId(), i.name(), Text.minute(Instant.parse(i.created())),
                  i.status(), i.reasons().isEmpty() ? "-" : Text.firstFew(i.reasons()), String.valueOf(i.gib())))
                  .toList()));
        }
        if (!p.orphanSnapshots().isEmpty()) {
          sb.append("orphan snapshots (prune deletes them): ").append(String.join(", ", p.orphanSnapshots()))
              .append('\n');
        }
        if (!p.staleBuilders().isEmpty()) {
          sb.append("stale builders (prune terminates them): ").append(String.join(", ", p.staleBuilders()))
              .append('\n');
        }
        p.leakedFleets().forEach(f -> sb.append("leaked fleet (prune deletes it with its instances): ").append(f)
            .append('\n'));
        sb.append('\n');
      }
    }
    long prunable = regions.stream().flatMap(r -> r.projects().stream()).flatMap(p -> p.images().stream())
        .filter(i -> PRUNABLE.equals(i.status())).count();
    sb.append(Text.plural(prunable, "image")).append(prunable == 1 ? " is" : " are")
        .append(" prunable with each project's keep; 'ami prune --dry-run' shows the details");
    notes.forEach(n -> sb.append("\nnote: ").append(n));
    return sb.toString();
  }
}
