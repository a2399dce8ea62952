package dev.amipipeline.prune;

import dev.amipipeline.leftovers.BuilderPlan;
import dev.amipipeline.leftovers.BuilderPlanner;
import dev.amipipeline.leftovers.FleetPlanner;
import dev.amipipeline.leftovers.LeakedFleet;
import dev.amipipeline.leftovers.LiveInstance;
import dev.amipipeline.project.ProjectParameters.AmiVersion;
import dev.amipipeline.project.Tags;
import dev.amipipeline.prune.Inventory.Image;
import dev.amipipeline.prune.PrunePlan.ImagePlan;
import dev.amipipeline.prune.PrunePlan.ProjectPlan;
import dev.amipipeline.prune.PrunePlan.SnapshotPlan;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The retention rules, as a pure function from an {@link Inventory} to a {@link PrunePlan}: no SDK, no
 * files, no clock (the caller passes {@code now}).
 *
 * <p>A snapshot belongs to an image when the image's block device mapping points at it, or when it
 * carries the image's project, Name and inputs tags (a bake tags an AMI and each of its snapshots
 * alike). It is deleted only when every image it belongs to is deleted; a snapshot with a bake's tags
 * that belongs to no image at all is an orphan of an interrupted prune and is deleted too.
 */
public final class Planner {

  private static final Set<String> NOT_READY = Set.of("pending", "transient");

  /** How many images a project keeps. */
  public record Retention(String project, int keep) {
    public Retention {
      Objects.requireNonNull(project, "project");
      if (keep < 1) {
        throw new IllegalArgumentException("keep must be at least 1, was " + keep);
      }
    }
  }

  private final Inventory inventory;
  private final Duration minAge;
  private final Instant now;
  private final Map<String, Set<String>> imagesBySnapshot = new HashMap<>();
  private final Map<String, Set<String>> snapshotsByImage = new HashMap<>();
  private final Map<String, Integer> sizeBySnapshot = new HashMap<>();

  private Planner(Inventory inventory, Duration minAge, Instant now) {
    this.inventory = inventory;
    this.minAge = minAge;
    this.now = now;
  }

  public static PrunePlan plan(Inventory inventory, List<Retention> retention, Duration minAge, Instant now) {
    if (minAge.isNegative()) {
      throw new IllegalArgumentException("minAge must not be negative");
    }
    if (retention.stream().map(Retention::project).distinct().count() != retention.size()) {
      throw new IllegalArgumentException("a project is listed twice: " + retention);
    }
    return new Planner(inventory, minAge, now).plan(retention);
  }

  private PrunePlan plan(List<Retention> retention) {
    linkSnapshots();
    List<String> notes = new ArrayList<>(inventory.notes());
    Map<String, Map<Image, List<KeepReason>>> verdicts = new LinkedHashMap<>();
    for (Retention r : retention) {
      verdicts.put(r.project(), judge(r, notes));
    }
    Set<String> deleted = verdicts.values().stream()
        .flatMap(v -> v.entrySet().stream())
        .filter(e -> e.getValue().isEmpty())
        .map(e -> e.getKey().id())
        .collect(Collectors.toSet());
    List<LiveInstance> staleBuilders = BuilderPlanner.stale(inventory.instances(), verdicts.keySet(),
        inventory.abandonedBakes(), now);

    List<ProjectPlan> projects = new ArrayList<>();
    for (Retention r : retention) {
      List<ImagePlan> images = new ArrayList<>();
      verdicts.get(r.project()).forEach((image, reasons) -> images.add(new ImagePlan(image, reasons,
          snapshotsByImage.getOrDefault(image.id(), Set.of()).stream().map(s -> snapshotPlan(s, deleted)).toList())));
      List<BuilderPlan> builders = BuilderPlanner.plans(staleBuilders.stream()
          .filter(b -> b.builderOf().orElseThrow().equals(r.project())).toList(), staleBuilders, inventory.instances());
      List<LeakedFleet> fleets = FleetPlanner.leaked(inventory.fleets(), List.of(r.project()), inventory.instances(),
          inventory.endedRuns(), now);
      projects.add(new ProjectPlan(r.project(), r.keep(), minAge, images, orphans(r.project()), builders, fleets));
    }
    return new PrunePlan(inventory.region(), projects, notes);
  }

  /** Each candidate image of the project, newest first, with its keep reasons (none: delete). */
  private Map<Image, List<KeepReason>> judge(Retention retention, List<String> notes) {
    String project = retention.project();
    List<AmiVersion> versions = inventory.amiVersions().getOrDefault(project, List.of());
    Map<String, Long> newestVersion = new HashMap<>();
    versions.forEach(v -> newestVersion.merge(v.amiId(), v.version(), Math::max));

    List<Image> candidates = inventory.images().stream()
        .filter(i -> i.project().filter(project::equals).isPresent())
        .sorted(Comparator.comparing(Image::created)
            .thenComparingLong(i -> newestVersion.getOrDefault(i.id(), -1L))
            .thenComparing(Image::id)
            .reversed())
        .toList();
    Map<String, Image> byId = candidates.stream().collect(Collectors.toMap(Image::id, Function.identity()));
    Map<Image, List<KeepReason>> reasons = new LinkedHashMap<>();
    candidates.forEach(i -> reasons.put(i, new ArrayList<>()));

    long current = versions.stream().mapToLong(AmiVersion::version).max().orElse(0);
    versions.stream()
        .filter(v -> v.version() > current - retention.keep())
        .sorted(Comparator.comparingLong(AmiVersion::version).reversed())
        .forEach(v -> {
          Image image = byId.get(v.amiId());
          if (image == null && v.version() == current) {
            notes.add(project + ": ami-id v" + current + " is " + v.amiId() + ", which is not an image of this account"
                + " tagged " + Tags.PROJECT + "=" + project + " in " + inventory.region());
          } else if (image != null && reasons.get(image).isEmpty()) {
            reasons.get(image).add(v.version() == current ? new KeepReason.Current(v.version())
                : new KeepReason.RecentVersion(v.version()));
          }
        });
    for (LiveInstance instance : inventory.instances()) {
      Image image = byId.get(instance.imageId());
      if (image != null && !"terminated".equals(instance.state())) {
        reasons.get(image).add(new KeepReason.InUse(instance.id(), instance.state()));
      }
    }
    for (Inventory.LaunchTemplateImage lt : inventory.launchTemplateImages()) {
      Image image = lt.imageId() == null ? null : byId.get(lt.imageId());
      if (image != null) {
        reasons.get(image).add(new KeepReason.InLaunchTemplate(lt.templateId(), lt.version()));
      }
    }
    candidates.stream().limit(retention.keep())
        .forEach(i -> reasons.get(i).add(new KeepReason.Newest(retention.keep())));
    for (Image image : candidates) {
      Duration age = Duration.between(image.created(), now);
      if (age.compareTo(minAge) < 0) {
        reasons.get(image).add(new KeepReason.TooYoung(age.isNegative() ? Duration.ZERO : age, minAge));
      }
      if (NOT_READY.contains(image.state())) {
        reasons.get(image).add(new KeepReason.NotReady(image.state()));
      }
    }
    return reasons;
  }

  /** Links every snapshot to the images it belongs to: by block device mapping, then by a bake's tags. */
  private void linkSnapshots() {
    inventory.bakeSnapshots().forEach(s -> sizeBySnapshot.put(s.id(), s.sizeGiB()));
    Map<List<String>, List<Image>> byBake = new HashMap<>();
    for (Image image : inventory.images()) {
      for (Inventory.Device d : image.devices()) {
        link(d.snapshotId(), image.id());
        sizeBySnapshot.putIfAbsent(d.snapshotId(), d.sizeGiB());
      }
      Inventory.bakeIdentity(image.tags())
          .ifPresent(bake -> byBake.computeIfAbsent(bake, k -> new ArrayList<>()).add(image));
    }
    List<Inventory.Snapshot> byId = inventory.bakeSnapshots().stream()
        .sorted(Comparator.comparing(Inventory.Snapshot::id)).toList();
    for (Inventory.Snapshot s : byId) {
      Inventory.bakeIdentity(s.tags())
          .ifPresent(bake -> byBake.getOrDefault(bake, List.of()).forEach(i -> link(s.id(), i.id())));
    }
  }

  private void link(String snapshotId, String imageId) {
    imagesBySnapshot.computeIfAbsent(snapshotId, k -> new TreeSet<>()).add(imageId);
    snapshotsByImage.computeIfAbsent(imageId, k -> new LinkedHashSet<>()).add(snapshotId);
  }

  private SnapshotPlan snapshotPlan(String snapshotId, Set<String> deletedImages) {
    Set<String> images = imagesBySnapshot.get(snapshotId);
    List<String> keptBy = images.stream().filter(i -> !deletedImages.contains(i)).toList();
    return new SnapshotPlan(snapshotId, sizeBySnapshot.getOrDefault(snapshotId, 0), List.copyOf(images), keptBy);
  }

  /**
   * Snapshots with the project's bake tags that belong to no image. Still-pending ones are a bake at work, and
   * --min-age protects young ones as it does images.
   */
  private List<SnapshotPlan> orphans(String project) {
    return inventory.bakeSnapshots().stream()
        .filter(s -> s.project().filter(project::equals).isPresent() && s.tags().containsKey(Tags.INPUTS))
        .filter(s -> !imagesBySnapshot.containsKey(s.id()))
        .filter(s -> !"pending".equals(s.state()))
        .filter(s -> Duration.between(s.started(), now).compareTo(minAge) >= 0)
        .sorted(Comparator.comparing(Inventory.Snapshot::id))
        .map(s -> new SnapshotPlan(s.id(), s.sizeGiB(), List.of(), List.of()))
        .toList();
  }
}
