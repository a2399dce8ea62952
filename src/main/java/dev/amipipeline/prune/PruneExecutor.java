package dev.amipipeline.prune;

import dev.amipipeline.common.Concurrently;
import dev.amipipeline.leftovers.LeftoverRemover;
import dev.amipipeline.leftovers.Removals;
import dev.amipipeline.prune.PrunePlan.ImagePlan;
import dev.amipipeline.prune.PrunePlan.SnapshotPlan;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import software.amazon.awssdk.services.ec2.Ec2Client;

/**
 * Carries out a {@link PrunePlan}: one DeregisterImage per image and one DeleteSnapshot per snapshot
 * once every image it belongs to is deregistered, then the stale builders and the leaked fleets; each
 * on a bounded pool. A failure is recorded against its resource and the rest go on. Reruns converge: a
 * resource that is already gone counts as done.
 */
final class PruneExecutor {

  private final Ec2Client ec2;
  /** DeleteSnapshot's own client: EC2 throttles it apart from DeregisterImage. */
  private final Ec2Client snapshotEc2;
  private final int parallelism;
  private final Removals removals;

  PruneExecutor(Ec2Client ec2, Ec2Client snapshotEc2, int parallelism, Consumer<String> progress) {
    this.ec2 = ec2;
    this.snapshotEc2 = snapshotEc2;
    this.parallelism = parallelism;
    this.removals = new Removals(progress);
  }

  Execution execute(PrunePlan plan) {
    deregisterAndDelete(plan.imagesToDelete().toList(), plan.snapshotsToDelete());
    LeftoverRemover leftovers = new LeftoverRemover(ec2, parallelism, removals);
    leftovers.endBuilders(plan.staleBuilders().toList());
    leftovers.deleteFleets(plan.leakedFleets().toList());
    return new Execution(removals.done(), removals.failures());
  }

  /**
   * Images and snapshots as a pipeline: a snapshot is deleted as soon as the last image it belongs to
   * is deregistered (AWS refuses while one is registered), orphans at once. EC2 rate-limits the two
   * actions separately, so each has its own pool and both limits are used from the first second rather
   * than one after the other.
   */
  private void deregisterAndDelete(List<ImagePlan> images, List<SnapshotPlan> snapshots) {
    Set<String> deregistering = new HashSet<>();
    images.forEach(i -> deregistering.add(i.image().id()));
    Map<String, List<SnapshotPlan>> snapshotsOfImage = new HashMap<>();
    Map<SnapshotPlan, AtomicInteger> imagesLeft = new HashMap<>();
    for (SnapshotPlan s : snapshots) {
      List<String> waitFor = s.images().stream().filter(deregistering::contains).toList();
      waitFor.forEach(i -> snapshotsOfImage.computeIfAbsent(i, k -> new ArrayList<>()).add(s));
      imagesLeft.put(s, new AtomicInteger(waitFor.size()));
    }
    ExecutorService snapshotPool = Concurrently.pool(parallelism, "ami-prune-snapshots");
    CountDownLatch snapshotsLeft = new CountDownLatch(snapshots.size());
    Consumer<SnapshotPlan> release = s -> snapshotPool.execute(() -> {
      try {
        deleteSnapshot(s);
      } catch (RuntimeException e) {
        removals.failed(s.snapshotId(), String.valueOf(e.getMessage()));
      } finally {
        snapshotsLeft.countDown();
      }
    });
    try {
      snapshots.stream().filter(s -> imagesLeft.get(s).get() == 0).forEach(release);
      Concurrently.forEach(parallelism, images, i -> {
        String id = i.image().id();
        try {
          removals.attempt(id, "deregistered", () -> ec2.deregisterImage(b -> b.imageId(id)));
        } finally {
          // Failed or not: deleteSnapshot itself refuses while an image is still registered.
          snapshotsOfImage.getOrDefault(id, List.of()).stream()
              .filter(s -> imagesLeft.get(s).decrementAndGet() == 0)
              .forEach(release);
        }
      });
      snapshotsLeft.await();
    } catch (InterruptedException e) {
      throw Concurrently.interrupted(e);
    } finally {
      snapshotPool.shutdownNow();
    }
  }

  private void deleteSnapshot(SnapshotPlan s) {
    List<String> stillRegistered = s.images().stream().filter(i -> !removals.isDone(i)).toList();
    if (!stillRegistered.isEmpty()) {
      removals.failed(s.snapshotId(), "not deleted: " + String.join(", ", stillRegistered) + " is still registered");
      return;
    }
    removals.attempt(s.snapshotId(), "deleted", () -> snapshotEc2.deleteSnapshot(b -> b.snapshotId(s.snapshotId())));
  }
}
