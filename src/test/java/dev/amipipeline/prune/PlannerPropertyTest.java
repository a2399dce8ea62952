package dev.amipipeline.prune;

import static dev.amipipeline.prune.Inventories.hour;
import static org.assertj.core.api.Assertions.assertThat;

import dev.amipipeline.leftovers.LiveInstance;
import dev.amipipeline.project.ProjectParameters.AmiVersion;
import dev.amipipeline.project.Tags;
import dev.amipipeline.prune.Inventory.Image;
import dev.amipipeline.prune.Planner.Retention;
import dev.amipipeline.prune.PrunePlan.SnapshotPlan;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The safety rules, checked against thousands of random inventories (seeded, so a failure names the
 * seed that reproduces it). Each rule is restated here from the contract, not from the planner.
 */
class PlannerPropertyTest {

  private static final int INVENTORIES = 3_000;
  private static final List<String> PROJECTS = List.of("demo", "ml", "other");
  private static final List<String> STATES =
      List.of("pending", "running", "shutting-down", "stopping", "stopped", "terminated");

  /** One random case: the inventory and how it is pruned. */
  private record Case(long seed, Inventory inventory, List<Retention> retention, Duration minAge, Instant now) {}

  @Test
  void noImageThatMustStayIsDeletedAndNoSnapshotOfAnImageThatStaysIsDeleted() {
    int deletedImages = 0;
    int deletedSnapshots = 0;
    int orphans = 0;
    for (long seed = 0; seed < INVENTORIES; seed++) {
      Case c = randomCase(seed);
      PrunePlan plan = Planner.plan(c.inventory(), c.retention(), c.minAge(), c.now());
      checkImages(c, plan);
      checkSnapshots(c, plan);
      deletedImages += (int) plan.imagesToDelete().count();
      deletedSnapshots += plan.snapshotsToDelete().size();
      orphans += plan.projects().stream().mapToInt(p -> p.orphanSnapshots().size()).sum();
    }
    // The generator must exercise deletion, or the checks above prove nothing.
    assertThat(deletedImages).isGreaterThan(INVENTORIES);
    assertThat(deletedSnapshots).isGreaterThan(INVENTORIES);
    assertThat(orphans).isGreaterThan(INVENTORIES / 10);
  }

  private static void checkImages(Case c, PrunePlan plan) {
    Inventory inv = c.inventory();
    Map<String, Integer> keep = c.retention().stream().collect(Collectors.toMap(Retention::project, Retention::keep));
    Set<String> deleted = plan.imagesToDelete().map(i -> i.image().id()).collect(Collectors.toSet());
    check(deleted.size() == plan.imagesToDelete().count(), c, "an image is listed twice");
    for (Image image : inv.images()) {
      String why = protectedBecause(c, image);
      if (deleted.contains(image.id())) {
        check(why == null, c, "%s was deleted although %s", image.id(), why);
        String project = image.project().orElseThrow();
        long asNewKept = inv.images().stream()
            .filter(o -> o.project().equals(image.project()) && !o.id().equals(image.id()))
            .filter(o -> !o.created().isBefore(image.created()) && !deleted.contains(o.id()))
            .count();
        check(asNewKept >= keep.get(project), c, "%s deleted with fewer than keep newer images kept", image.id());
      }
    }
    for (Retention r : c.retention()) {
      long keptWithoutProtection = inv.images().stream()
          .filter(i -> i.project().filter(r.project()::equals).isPresent())
          .filter(i -> !deleted.contains(i.id()) && protectedBecause(c, i) == null)
          .count();
      check(keptWithoutProtection <= r.keep(), c, "%s keeps more than its newest %d", r.project(), r.keep());
    }
  }

  /** A plain check: AssertJ per element would make thousands of inventories slow. */
  private static void check(boolean ok, Case c, String format, Object... args) {
    if (!ok) {
      throw new AssertionError("seed " + c.seed() + ": " + String.format(format, args));
    }
  }

  /** The contract's reasons to keep an image whatever N is; null when it has none. */
  private static String protectedBecause(Case c, Image image) {
    Inventory inv = c.inventory();
    Set<String> pruned = c.retention().stream().map(Retention::project).collect(Collectors.toSet());
    if (image.project().filter(pruned::contains).isEmpty()) {
      return "not a candidate";
    }
    List<AmiVersion> versions = inv.amiVersions().getOrDefault(image.project().get(), List.of());
    long current = versions.stream().mapToLong(AmiVersion::version).max().orElse(0);
    int keep = c.retention().stream().filter(r -> r.project().equals(image.project().get())).findFirst()
        .orElseThrow().keep();
    if (versions.stream().anyMatch(v -> v.amiId().equals(image.id()) && v.version() > current - keep)) {
      return "current or recent ami-id version";
    }
    if (inv.instances().stream().anyMatch(i -> image.id().equals(i.imageId()) && !"terminated".equals(i.state()))) {
      return "in use";
    }
    if (inv.launchTemplateImages().stream().anyMatch(t -> image.id().equals(t.imageId()))) {
      return "in a launch template";
    }
    if (Duration.between(image.created(), c.now()).compareTo(c.minAge()) < 0) {
      return "too young";
    }
    if (Set.of("pending", "transient").contains(image.state())) {
      return "not ready";
    }
    return null;
  }

  private static void checkSnapshots(Case c, PrunePlan plan) {
    Inventory inv = c.inventory();
    Set<String> deletedImages = plan.imagesToDelete().map(i -> i.image().id()).collect(Collectors.toSet());
    List<String> deleted = plan.snapshotsToDelete().stream().map(SnapshotPlan::snapshotId).toList();
    check(new HashSet<>(deleted).size() == deleted.size(), c, "a snapshot is listed twice");
    Set<String> pruned = c.retention().stream().map(Retention::project).collect(Collectors.toSet());
    for (String snapshot : deleted) {
      List<Image> owners = imagesUsing(inv, snapshot);
      for (Image owner : owners) {
        check(deletedImages.contains(owner.id()), c, "%s deleted although %s stays", snapshot, owner.id());
      }
      if (owners.isEmpty()) {
        Inventory.Snapshot orphan = inv.bakeSnapshots().stream().filter(s -> s.id().equals(snapshot)).findFirst()
            .orElse(null);
        check(orphan != null, c, "untagged %s deleted as an orphan", snapshot);
        check(pruned.contains(orphan.project().orElseThrow()), c, "orphan %s of a project not pruned", snapshot);
        check(orphan.tags().containsKey(Tags.INPUTS), c, "%s without a bake's tags deleted as an orphan", snapshot);
        check(!"pending".equals(orphan.state()), c, "pending orphan %s deleted", snapshot);
        check(Duration.between(orphan.started(), c.now()).compareTo(c.minAge()) >= 0, c, "young orphan %s", snapshot);
      }
    }
    // Nothing is left behind: every snapshot whose images all go, goes too.
    for (Image image : inv.images()) {
      if (!deletedImages.contains(image.id())) {
        continue;
      }
      for (Inventory.Device d : image.devices()) {
        boolean allOwnersGo = imagesUsing(inv, d.snapshotId()).stream().allMatch(o -> deletedImages.contains(o.id()));
        check(deleted.contains(d.snapshotId()) == allOwnersGo, c, "%s of deleted %s: deleted %s, all its images go %s",
            d.snapshotId(), image.id(), deleted.contains(d.snapshotId()), allOwnersGo);
      }
    }
  }

  /** Images whose block devices use the snapshot, or whose project, Name and inputs tags it carries. */
  private static List<Image> imagesUsing(Inventory inv, String snapshotId) {
    Map<String, String> tags = inv.bakeSnapshots().stream().filter(s -> s.id().equals(snapshotId)).findFirst()
        .map(Inventory.Snapshot::tags).orElse(Map.of());
    return inv.images().stream()
        .filter(i -> i.devices().stream().anyMatch(d -> d.snapshotId().equals(snapshotId))
            || Stream.of(Tags.PROJECT, Tags.NAME, Tags.INPUTS)
                .allMatch(k -> tags.get(k) != null && tags.get(k).equals(i.tags().get(k))))
        .toList();
  }

  private static Case randomCase(long seed) {
    Random r = new Random(seed);
    int imageCount = r.nextInt(30);
    int poolSize = imageCount * 2 + 3;
    List<Image> images = new ArrayList<>();
    for (int i = 0; i < imageCount; i++) {
      String id = String.format("ami-%03d", i);
      Map<String, String> tags = new HashMap<>();
      if (r.nextInt(10) > 0) {
        String project = PROJECTS.get(r.nextInt(PROJECTS.size()));
        tags.put(Tags.PROJECT, project);
        tags.put(Tags.NAME, project + "-" + r.nextInt(imageCount + 1)); // Name clashes happen too
        tags.put(Tags.INPUTS, "in-" + r.nextInt(3));
      }
      List<Inventory.Device> devices = new ArrayList<>();
      for (int d = r.nextInt(4); d > 0; d--) {
        devices.add(new Inventory.Device("snap-" + r.nextInt(poolSize), 1 + r.nextInt(100)));
      }
      String state = r.nextInt(20) == 0 ? "pending" : r.nextInt(20) == 0 ? "failed" : "available";
      images.add(new Image(id, id, hour(r.nextInt(12)), state, tags, devices));
    }
    List<Inventory.Snapshot> snapshots = new ArrayList<>();
    for (int s = 0; s < poolSize + 4; s++) {
      if (r.nextBoolean()) {
        continue;
      }
      String project = PROJECTS.get(r.nextInt(PROJECTS.size()));
      Map<String, String> tags = new HashMap<>();
      tags.put(Tags.PROJECT, project);
      if (r.nextBoolean()) {
        tags.put(Tags.NAME, project + "-" + r.nextInt(imageCount + 3));
      }
      if (r.nextInt(4) > 0) {
        tags.put(Tags.INPUTS, "in-" + r.nextInt(3)); // else a job volume's snapshot: never ours to delete
      }
      String state = List.of("completed", "completed", "pending", "error").get(r.nextInt(4));
      snapshots.add(new Inventory.Snapshot("snap-" + s, 8, hour(r.nextInt(12)), state, tags));
    }
    List<LiveInstance> instances = new ArrayList<>();
    for (int i = r.nextInt(8); i > 0; i--) {
      instances.add(new LiveInstance("i-" + i, randomImage(r, imageCount), STATES.get(r.nextInt(STATES.size())),
          hour(r.nextInt(12)), Map.of(), null, List.of()));
    }
    List<Inventory.LaunchTemplateImage> templates = new ArrayList<>();
    for (int v = r.nextInt(5); v > 0; v--) {
      // Now and then a resolve:ssm: reference to a parameter that does not exist: it names no image.
      String image = r.nextInt(6) == 0 ? null : randomImage(r, imageCount);
      templates.add(new Inventory.LaunchTemplateImage("lt-" + r.nextInt(3), "t", v,
          Objects.toString(image, "resolve:ssm:/gone"), image));
    }
    Map<String, List<AmiVersion>> versions = new HashMap<>();
    for (String project : PROJECTS) {
      List<AmiVersion> list = new ArrayList<>();
      int bakes = r.nextInt(9);
      for (int v = 1; v <= bakes; v++) {
        list.add(new AmiVersion(v, randomImage(r, imageCount), hour(v)));
      }
      versions.put(project, list);
    }
    List<Retention> retention = new ArrayList<>();
    for (String project : List.of("demo", "ml")) {
      if (r.nextInt(4) > 0) {
        retention.add(new Retention(project, 1 + r.nextInt(4)));
      }
    }
    Duration minAge = r.nextBoolean() ? Duration.ZERO : Duration.ofHours(r.nextInt(6));
    Inventory inventory = new Inventory("us-east-1", images, snapshots, instances, templates, versions, List.of());
    return new Case(seed, inventory, retention, minAge, hour(8 + r.nextInt(8)));
  }

  /** An image id, occasionally one the inventory does not know (another account's, or gone). */
  private static String randomImage(Random r, int imageCount) {
    return imageCount == 0 || r.nextInt(8) == 0 ? "ami-foreign" : String.format("ami-%03d", r.nextInt(imageCount));
  }
}
