package dev.amipipeline.prune;

import dev.amipipeline.leftovers.BuilderPlan;
import dev.amipipeline.leftovers.LeakedFleet;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Stream;

/**
 * What prune would do in one region, image by image, with the reason for everything it keeps. The
 * {@link Planner} makes it; prune executes it, list only prints it.
 */
public record PrunePlan(String region, List<ProjectPlan> projects, List<String> notes) {

  public PrunePlan {
    Objects.requireNonNull(region, "region");
    projects = List.copyOf(projects);
    notes = List.copyOf(notes);
  }

  public Stream<ImagePlan> imagesToDelete() {
    return projects.stream().flatMap(p -> p.images().stream()).filter(ImagePlan::delete);
  }

  /** Every snapshot to delete once, in plan order: those of deleted images, then orphans. */
  public List<SnapshotPlan> snapshotsToDelete() {
    Map<String, SnapshotPlan> byId = new LinkedHashMap<>();
    imagesToDelete().flatMap(i -> i.snapshotsToDelete().stream()).forEach(s -> byId.putIfAbsent(s.snapshotId(), s));
    projects.stream().flatMap(p -> p.orphanSnapshots().stream()).forEach(s -> byId.putIfAbsent(s.snapshotId(), s));
    return List.copyOf(byId.values());
  }

  public Stream<BuilderPlan> staleBuilders() {
    return projects.stream().flatMap(p -> p.staleBuilders().stream());
  }

  public Stream<LeakedFleet> leakedFleets() {
    return projects.stream().flatMap(p -> p.leakedFleets().stream());
  }

  public boolean isEmpty() {
    return imagesToDelete().findAny().isEmpty() && snapshotsToDelete().isEmpty() && staleBuilders().findAny().isEmpty()
        && leakedFleets().findAny().isEmpty();
  }

  /**
   * One project's images in one region, newest first, and what its ended bakes and runs left.
   *
   * @param leakedFleets recovering runs' fleets still active after their run ended
   */
  public record ProjectPlan(String project, int keep, Duration minAge, List<ImagePlan> images,
      List<SnapshotPlan> orphanSnapshots, List<BuilderPlan> staleBuilders, List<LeakedFleet> leakedFleets) {

    /** A project's plan without leaked fleets. */
    public ProjectPlan(String project, int keep, Duration minAge, List<ImagePlan> images,
        List<SnapshotPlan> orphanSnapshots, List<BuilderPlan> staleBuilders) {
      this(project, keep, minAge, images, orphanSnapshots, staleBuilders, List.of());
    }

    public ProjectPlan {
      Objects.requireNonNull(project, "project");
      if (keep < 1) {
        throw new IllegalArgumentException("keep must be at least 1, was " + keep);
      }
      Objects.requireNonNull(minAge, "minAge");
      images = List.copyOf(images);
      orphanSnapshots = List.copyOf(orphanSnapshots);
      staleBuilders = List.copyOf(staleBuilders);
      leakedFleets = List.copyOf(leakedFleets);
      for (SnapshotPlan orphan : orphanSnapshots) {
        if (!orphan.images().isEmpty()) {
          throw new IllegalArgumentException(orphan.snapshotId() + " is not an orphan: " + orphan.images());
        }
      }
    }
  }

  /** One image: kept for {@code reasons}, or deleted when there is none. */
  public record ImagePlan(Inventory.Image image, List<KeepReason> reasons, List<SnapshotPlan> snapshots) {
    public ImagePlan {
      Objects.requireNonNull(image, "image");
      reasons = List.copyOf(reasons);
      snapshots = List.copyOf(snapshots);
      for (SnapshotPlan s : snapshots) {
        if (!s.images().contains(image.id())) {
          throw new IllegalArgumentException(s.snapshotId() + " is listed under " + image.id() + " but not linked");
        }
      }
    }

    public boolean delete() {
      return reasons.isEmpty();
    }

    /** The snapshots that go with the image: none when it stays, and never one a kept image shares. */
    public List<SnapshotPlan> snapshotsToDelete() {
      return delete() ? snapshots.stream().filter(s -> !s.shared()).toList() : List.of();
    }

    public int sizeGiB() {
      return snapshots.stream().mapToInt(SnapshotPlan::sizeGiB).sum();
    }
  }

  /**
   * A snapshot, the images it belongs to ({@code images}: empty for an orphan) and those of them that
   * stay ({@code keptBy}). It is deleted only when every image it belongs to is deleted.
   */
  public record SnapshotPlan(String snapshotId, int sizeGiB, List<String> images, List<String> keptBy) {
    public SnapshotPlan {
      Objects.requireNonNull(snapshotId, "snapshotId");
      images = List.copyOf(images);
      keptBy = List.copyOf(keptBy);
      if (!images.containsAll(keptBy)) {
        throw new IllegalArgumentException(snapshotId + ": kept by " + keptBy + " but belongs to " + images);
      }
    }

    public boolean shared() {
      return !keptBy.isEmpty();
    }
  }
}
