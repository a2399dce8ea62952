package dev.amipipeline.prune;

import static dev.amipipeline.prune.Inventories.hour;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import dev.amipipeline.leftovers.BuilderPlan;
import dev.amipipeline.leftovers.LiveInstance.SecurityGroup;
import dev.amipipeline.prune.Planner.Retention;
import dev.amipipeline.prune.PrunePlan.ImagePlan;
import dev.amipipeline.prune.PrunePlan.ProjectPlan;
import dev.amipipeline.prune.PrunePlan.SnapshotPlan;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class PlannerTest {

  private static final Instant NOW = hour(1000);

  private static PrunePlan plan(Inventories inv, int keep) {
    return Planner.plan(inv.build(), List.of(new Retention("demo", keep)), Duration.ZERO, NOW);
  }

  private static List<String> deleted(PrunePlan plan) {
    return plan.imagesToDelete().map(i -> i.image().id()).toList();
  }

  private static Map<String, List<String>> reasons(PrunePlan plan) {
    return plan.projects().stream().flatMap(p -> p.images().stream()).collect(Collectors.toMap(
        i -> i.image().id(), i -> i.reasons().stream().map(KeepReason::text).toList()));
  }

  private static List<String> snapshotIds(List<SnapshotPlan> snapshots) {
    return snapshots.stream().map(SnapshotPlan::snapshotId).toList();
  }

  @Test
  void keepsTheNewestNAndDeletesTheRestNewestFirst() {
    Inventories inv = new Inventories();
    for (int i = 1; i <= 5; i++) {
      inv.image("ami-" + i, "demo", hour(i), "snap-" + i);
    }
    PrunePlan plan = plan(inv, 2);
    assertThat(plan.projects().get(0).images()).extracting(i -> i.image().id())
        .containsExactly("ami-5", "ami-4", "ami-3", "ami-2", "ami-1");
    assertThat(deleted(plan)).containsExactly("ami-3", "ami-2", "ami-1");
    assertThat(reasons(plan).get("ami-5")).containsExactly("newest 2");
    assertThat(snapshotIds(plan.snapshotsToDelete())).containsExactly("snap-3", "snap-2", "snap-1");
  }

  @Test
  void currentAndPreviousVersionsStayEvenWhenOld() {
    Inventories inv = new Inventories();
    for (int i = 1; i <= 6; i++) {
      inv.image("ami-" + i, "demo", hour(i));
    }
    // Bakes 1..4, then a rollback to the first image: v5 is ami-1, v4 is ami-4.
    inv.versions("demo", "ami-1", "ami-2", "ami-3", "ami-4", "ami-1");
    PrunePlan plan = plan(inv, 2);
    assertThat(reasons(plan)).containsEntry("ami-1", List.of("current (ami-id v5)"))
        .containsEntry("ami-4", List.of("ami-id v4"))
        .containsEntry("ami-6", List.of("newest 2"))
        .containsEntry("ami-5", List.of("newest 2"));
    assertThat(deleted(plan)).containsExactly("ami-3", "ami-2");
  }

  @Test
  void sameSecondImagesAreOrderedBySsmVersionThenId() {
    Instant sameSecond = hour(1);
    Inventories inv = new Inventories()
        .image("ami-c", "demo", sameSecond)
        .image("ami-a", "demo", sameSecond)
        .image("ami-b", "demo", sameSecond)
        .image("ami-z", "demo", sameSecond)
        .image("ami-y", "demo", sameSecond);
    inv.versions("demo", "ami-c", "ami-a", "ami-b"); // ami-b is the newest bake
    PrunePlan plan = plan(inv, 1);
    assertThat(plan.projects().get(0).images()).extracting(i -> i.image().id())
        .containsExactly("ami-b", "ami-a", "ami-c", "ami-z", "ami-y");
    assertThat(reasons(plan).get("ami-b")).containsExactly("current (ami-id v3)", "newest 1");
    assertThat(deleted(plan)).containsExactly("ami-a", "ami-c", "ami-z", "ami-y");
  }

  @Test
  void everyInstanceThatIsNotTerminatedKeepsItsImage() {
    Inventories inv = new Inventories();
    List<String> states = List.of("pending", "running", "shutting-down", "stopping", "stopped", "terminated");
    for (int i = 0; i < states.size(); i++) {
      inv.image("ami-" + i, "demo", hour(i)).instance("i-" + i, "ami-" + i, states.get(i));
    }
    inv.image("ami-newest", "demo", hour(100));
    PrunePlan plan = plan(inv, 1);
    assertThat(deleted(plan)).containsExactly("ami-5");
    assertThat(reasons(plan).get("ami-4")).containsExactly("in use by i-4 (stopped)");
    assertThat(reasons(plan).get("ami-1")).containsExactly("in use by i-1");
  }

  @Test
  void anyVersionOfAnyLaunchTemplateKeepsItsImage() {
    Inventories inv = new Inventories()
        .image("ami-old", "demo", hour(1))
        .image("ami-mid", "demo", hour(2))
        .image("ami-new", "demo", hour(3))
        .launchTemplate("lt-1", 1, "ami-old")
        .launchTemplate("lt-1", 2, "ami-unrelated")
        .launchTemplate("lt-1", 3, "ami-unrelated");
    PrunePlan plan = plan(inv, 1);
    assertThat(reasons(plan).get("ami-old")).containsExactly("in launch template lt-1 v1");
    assertThat(deleted(plan)).containsExactly("ami-mid");
  }

  @Test
  void imagesYoungerThanMinAgeAndImagesStillBeingCreatedStay() {
    Inventories inv = new Inventories()
        .image("ami-new", "demo", NOW.minus(Duration.ofHours(1)))
        .image("ami-day", "demo", NOW.minus(Duration.ofDays(1)))
        .image("ami-week", "demo", NOW.minus(Duration.ofDays(8)))
        .imageInState("ami-pending", "demo", NOW.minus(Duration.ofDays(9)), "pending")
        .image("ami-old", "demo", NOW.minus(Duration.ofDays(10)));
    PrunePlan plan = Planner.plan(inv.build(), List.of(new Retention("demo", 1)), Duration.ofDays(7), NOW);
    assertThat(reasons(plan).get("ami-day")).containsExactly("too young (1d < 7d)");
    assertThat(reasons(plan).get("ami-pending")).containsExactly("pending");
    assertThat(deleted(plan)).containsExactly("ami-week", "ami-old");
  }

  @Test
  void onlyTaggedImagesOfTheProjectsBeingPrunedAreCandidates() {
    Inventories inv = new Inventories()
        .image("ami-untagged", null, hour(1), "snap-u")
        .image("ami-other", "other", hour(1), "snap-o")
        .image("ami-old", "demo", hour(2), "snap-d")
        .image("ami-new", "demo", hour(3));
    PrunePlan plan = plan(inv, 1);
    assertThat(deleted(plan)).containsExactly("ami-old");
    assertThat(plan.projects().get(0).images()).extracting(i -> i.image().id()).containsExactly("ami-new", "ami-old");
    assertThat(snapshotIds(plan.snapshotsToDelete())).containsExactly("snap-d");
  }

  @Test
  void aSnapshotStaysWhileAnyImageThatUsesItStays() {
    Inventories inv = new Inventories()
        .image("ami-old", "demo", hour(1), "snap-own", "snap-shared", "snap-untagged-image")
        .image("ami-new", "demo", hour(2), "snap-shared")
        .image("ami-foreign", null, hour(0), "snap-untagged-image");
    PrunePlan plan = plan(inv, 1);
    ImagePlan old = plan.projects().get(0).images().get(1);
    assertThat(old.delete()).isTrue();
    assertThat(snapshotIds(old.snapshotsToDelete())).containsExactly("snap-own");
    assertThat(old.snapshots()).filteredOn(SnapshotPlan::shared)
        .extracting(SnapshotPlan::snapshotId, SnapshotPlan::keptBy)
        .containsExactly(
            tuple("snap-shared", List.of("ami-new")),
            tuple("snap-untagged-image", List.of("ami-foreign")));
  }

  @Test
  void aSnapshotOfTwoDeletedImagesIsDeletedOnceAfterBoth() {
    Inventories inv = new Inventories()
        .image("ami-1", "demo", hour(1), "snap-both")
        .image("ami-2", "demo", hour(2), "snap-both")
        .image("ami-3", "demo", hour(3));
    List<SnapshotPlan> deletes = plan(inv, 1).snapshotsToDelete();
    assertThat(deletes).singleElement().satisfies(s -> {
      assertThat(s.snapshotId()).isEqualTo("snap-both");
      assertThat(s.images()).containsExactly("ami-1", "ami-2");
    });
  }

  @Test
  void snapshotsCarryingTheImagesBakeTagsBelongToItButAJobVolumesSnapshotDoesNot() {
    Inventories inv = new Inventories()
        .image("ami-old", "demo", hour(1), "snap-bdm")
        .image("ami-new", "demo", hour(2))
        .bakeSnapshot("snap-tagged", "demo", "ami-old", hour(1), "completed")
        .bakeSnapshot("snap-of-new", "demo", "ami-new", hour(2), "completed")
        .bakeSnapshot("snap-other-project", "other", "ami-old", hour(1), "completed")
        .jobVolumeSnapshot("snap-job-volume", "demo", "demo-ami-old");
    PrunePlan plan = plan(inv, 1);
    assertThat(snapshotIds(plan.snapshotsToDelete())).containsExactly("snap-bdm", "snap-tagged");
    assertThat(plan.projects().get(0).orphanSnapshots()).isEmpty();
  }

  @Test
  void bakeSnapshotsWithoutAnImageAreOrphansUnlessPendingOrYoungAndJobVolumeSnapshotsNever() {
    Inventories inv = new Inventories()
        .image("ami-1", "demo", hour(1))
        .bakeSnapshot("snap-orphan", "demo", "ami-gone", hour(1), "completed")
        .bakeSnapshot("snap-orphan-error", "demo", "ami-failed", hour(1), "error")
        .bakeSnapshot("snap-pending", "demo", "ami-gone", hour(1), "pending")
        .bakeSnapshot("snap-young", "demo", "ami-gone", NOW.minus(Duration.ofHours(1)), "completed")
        .bakeSnapshot("snap-other-project", "other", "ami-gone", hour(1), "completed")
        .jobVolumeSnapshot("snap-job-volume", "demo", "demo-20260101T000000Z");
    PrunePlan plan = Planner.plan(inv.build(), List.of(new Retention("demo", 1)), Duration.ofDays(1), NOW);
    assertThat(snapshotIds(plan.projects().get(0).orphanSnapshots()))
        .containsExactly("snap-orphan", "snap-orphan-error");
    assertThat(snapshotIds(plan.snapshotsToDelete())).containsExactly("snap-orphan", "snap-orphan-error");
  }

  @Test
  void buildersOlderThanSixHoursGoWithTheirPackerKeyPairAndGroupUnlessSomethingElseUsesThem() {
    SecurityGroup packerA = new SecurityGroup("sg-a", "packer_a");
    SecurityGroup packerB = new SecurityGroup("sg-b", "packer_b");
    SecurityGroup shared = new SecurityGroup("sg-shared", "packer_shared");
    SecurityGroup userGroup = new SecurityGroup("sg-user", "default");
    Inventories inv = new Inventories()
        .image("ami-1", "demo", hour(1))
        .builder("i-stale", "demo", NOW.minus(Duration.ofHours(7)), "running", "packer_a", packerA, userGroup)
        .builder("i-stopped", "demo", NOW.minus(Duration.ofHours(6)), "stopped", "packer_b", packerB, shared)
        .builder("i-fresh", "demo", NOW.minus(Duration.ofHours(5)), "running", "packer_c")
        .builder("i-ending", "demo", NOW.minus(Duration.ofHours(9)), "shutting-down", "packer_d")
        .builder("i-userkey", "demo", NOW.minus(Duration.ofHours(9)), "running", "my-key")
        .builder("i-otherproject", "other", NOW.minus(Duration.ofHours(9)), "running", "packer_e")
        .instanceWith("i-app", "packer_b", shared);
    ProjectPlan p = plan(inv, 1).projects().get(0);
    assertThat(p.staleBuilders()).extracting(b -> b.instance().id(), BuilderPlan::keyPair,
            BuilderPlan::securityGroupIds)
        .containsExactly(
            tuple("i-stale", "packer_a", List.of("sg-a")),
            tuple("i-stopped", null, List.of("sg-b")),
            tuple("i-userkey", null, List.of()));
  }

  @Test
  void aKilledBakesBuildersGoAtOnceWhateverTheirAge() {
    SecurityGroup packer = new SecurityGroup("sg-p", "packer_p");
    Inventories inv = new Inventories()
        .image("ami-1", "demo", hour(1))
        .builder("i-leaked", "demo", NOW.minus(Duration.ofMinutes(3)), "running", "packer_p", packer)
        .builder("i-later", "demo", NOW.plusSeconds(5), "pending", "packer_q")
        .builder("i-other", "other", NOW.minus(Duration.ofMinutes(3)), "running", "packer_o")
        .abandonedBake("demo")
        .abandonedBake("other");
    ProjectPlan p = plan(inv, 1).projects().get(0);
    assertThat(p.staleBuilders()).extracting(b -> b.instance().id(), BuilderPlan::keyPair,
            BuilderPlan::securityGroupIds)
        .as("launched after the plan was made: a bake that took over the lock meanwhile")
        .containsExactly(tuple("i-leaked", "packer_p", List.of("sg-p")));
    assertThat(plan(new Inventories().builder("i-young", "demo", NOW.minus(Duration.ofMinutes(3)), "running",
        "packer_y"), 1).staleBuilders()).as("without an abandoned bake, young builders stay").isEmpty();
  }

  @Test
  void keepBelowOneAndDuplicateProjectsAreRefused() {
    assertThatThrownBy(() -> new Retention("demo", 0)).hasMessageContaining("at least 1");
    Inventory empty = new Inventories().build();
    assertThatThrownBy(() -> Planner.plan(empty, List.of(new Retention("demo", 1), new Retention("demo", 2)),
        Duration.ZERO, NOW)).hasMessageContaining("twice");
    assertThatThrownBy(() -> Planner.plan(empty, List.of(), Duration.ofHours(-1), NOW))
        .hasMessageContaining("negative");
  }

  @Test
  void theCurrentImageMissingFromTheInventoryIsNoted() {
    Inventories inv = new Inventories().image("ami-1", "demo", hour(1)).image("ami-0", "demo", hour(0))
        .versions("demo", "ami-0", "ami-1", "ami-gone");
    PrunePlan plan = plan(inv, 2);
    assertThat(plan.notes()).singleElement().asString()
        .contains("ami-id v3 is ami-gone", "not an image of this account");
    assertThat(reasons(plan).get("ami-1")).containsExactly("ami-id v2", "newest 2");
  }

  @Test
  void thePlanDoesNotDependOnTheOrderTheInventoryWasReadIn() {
    Inventories inv = new Inventories();
    for (int i = 0; i < 12; i++) {
      inv.image("ami-" + (char) ('a' + i), i % 3 == 0 ? "other" : "demo", hour(i % 4), "snap-" + i, "snap-" + (i + 1));
      inv.bakeSnapshot("snap-t" + i, "demo", "ami-" + (char) ('a' + i), hour(i), "completed");
    }
    inv.versions("demo", "ami-b", "ami-c", "ami-e");
    PrunePlan ordered = plan(inv, 2);
    Random random = new Random(7);
    for (int round = 0; round < 20; round++) {
      Collections.shuffle(inv.images, random);
      Collections.shuffle(inv.snapshots, random);
      PrunePlan shuffled = plan(inv, 2);
      assertThat(deleted(shuffled)).isEqualTo(deleted(ordered));
      assertThat(snapshotIds(shuffled.snapshotsToDelete())).isEqualTo(snapshotIds(ordered.snapshotsToDelete()));
      assertThat(new ArrayList<>(reasons(shuffled).entrySet())).containsExactlyInAnyOrderElementsOf(
          reasons(ordered).entrySet());
    }
  }
}
