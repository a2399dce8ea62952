package dev.amipipeline.prune;

import static org.assertj.core.api.Assertions.assertThat;

import dev.amipipeline.project.Tags;
import dev.amipipeline.prune.Planner.Retention;
import dev.amipipeline.testing.Ec2Seed;
import dev.amipipeline.testing.Ec2Seed.SeededImage;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The delete edge against moto: per-resource failures, and reruns that find things already gone. */
class PruneExecutorIT extends MotoTestBase {

  private Inventory read() {
    return new InventoryReader(ec2, aws.ssm(), Ec2State.ACCOUNT, "/ami-pipeline").read("us-east-1", List.of("demo"));
  }

  private Execution execute(PrunePlan plan) {
    return new PruneExecutor(ec2, ec2, 4, progressSink()).execute(plan);
  }

  @Test
  void aSnapshotThatAnImageRegisteredAfterTheReadUsesFailsAloneAndTheRestIsDone() {
    List<SeededImage> bakes = bakes("demo", 3);
    SeededImage old = bakes.get(0);
    // Someone registers an image whose snapshot carries old's tags, after prune read the region.
    String late = ec2.registerImage(b -> b.name("registered-late").rootDeviceName("/dev/sda1")).imageId();
    String lateSnapshot = Ec2State.mappedSnapshots(ec2, late).get(0);
    ec2.createTags(b -> b.resources(lateSnapshot).tags(Ec2Seed.tag(Tags.PROJECT, "demo"),
        Ec2Seed.tag(Tags.NAME, "demo-1"), Ec2Seed.tag(Tags.INPUTS, "seed-demo-1")));
    Inventory seen = read();
    List<Inventory.Image> imagesBeforeLate = seen.images().stream().filter(i -> !i.id().equals(late)).toList();
    Inventory beforeLate = new Inventory(seen.region(), imagesBeforeLate, seen.bakeSnapshots(), seen.instances(),
        seen.launchTemplateImages(), seen.amiVersions(), seen.notes());
    PrunePlan plan = Planner.plan(beforeLate, List.of(new Retention("demo", 1)), Duration.ZERO, Instant.now());
    assertThat(plan.snapshotsToDelete()).extracting(PrunePlan.SnapshotPlan::snapshotId).contains(lateSnapshot);

    Execution execution = execute(plan);

    assertThat(execution.failures()).containsOnlyKeys(lateSnapshot);
    assertThat(execution.failures().get(lateSnapshot)).startsWith("InvalidSnapshot.InUse");
    Ec2State after = Ec2State.read(ec2);
    assertThat(after.images()).doesNotContain(old.amiId(), bakes.get(1).amiId()).contains(bakes.get(2).amiId(), late);
    assertThat(after.snapshots()).contains(lateSnapshot).doesNotContainAnyElementsOf(old.snapshotIds())
        .doesNotContainAnyElementsOf(bakes.get(1).snapshotIds());
    assertThat(progress).anyMatch(l -> l.startsWith("FAILED " + lateSnapshot + ": InvalidSnapshot.InUse"));
  }

  @Test
  void runningTheSamePlanAgainFindsEverythingAlreadyGone() {
    bakes("demo", 4);
    ec2.deregisterImage(b -> b.imageId(read().images().stream()
        .filter(i -> i.tags().get(Tags.NAME).equals("demo-1")).findFirst().orElseThrow().id()));
    PrunePlan plan = Planner.plan(read(), List.of(new Retention("demo", 1)), Duration.ZERO, Instant.now());
    assertThat(plan.imagesToDelete()).hasSize(2);
    assertThat(plan.projects().get(0).orphanSnapshots()).hasSize(1);

    Execution first = execute(plan);
    Ec2State afterFirst = Ec2State.read(ec2);
    Execution second = execute(plan);

    assertThat(first.failures()).isEmpty();
    assertThat(second.failures()).isEmpty();
    assertThat(second.done()).isEqualTo(first.done());
    assertThat(Ec2State.read(ec2)).isEqualTo(afterFirst);
    assertThat(progress).filteredOn(l -> l.endsWith("was already gone")).hasSize(first.done().size());
  }
}
