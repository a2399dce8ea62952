package dev.amipipeline.prune;

import dev.amipipeline.aws.AwsErrors;
import dev.amipipeline.common.Concurrently;
import dev.amipipeline.prune.PrunePlan.BuilderPlan;
import dev.amipipeline.prune.PrunePlan.ImagePlan;
import dev.amipipeline.prune.PrunePlan.SnapshotPlan;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Supplier;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.waiters.Ec2Waiter;

/**
 * Carries out a {@link PrunePlan}: one DeregisterImage per image and one DeleteSnapshot per snapshot
 * once every image it belongs to is deregistered, then the stale builders; each on a bounded pool. A
 * failure is recorded against its resource and the rest go on. Reruns converge: a resource that is
 * already gone counts as done.
 */
final class PruneExecutor {

  private static final Set<String> ALREADY_GONE = Set.of(
      "InvalidAMIID.NotFound", "InvalidAMIID.Unavailable", "InvalidSnapshot.NotFound",
      "InvalidInstanceID.NotFound", "InvalidKeyPair.NotFound", "InvalidGroup.NotFound");

  private final Ec2Client ec2;
  /** DeleteSnapshot's own client: EC2 throttles it apart from DeregisterImage. */
  private final Ec2Client snapshotEc2;
  private final int parallelism;
  private final Consumer<String> progress;
  private final Set<String> done = ConcurrentHashMap.newKeySet();
  private final Map<String, String> failures = new ConcurrentHashMap<>();

  PruneExecutor(Ec2Client ec2, Ec2Client snapshotEc2, int parallelism, Consumer<String> progress) {
    this.ec2 = ec2;
    this.snapshotEc2 = snapshotEc2;
    this.parallelism = parallelism;
    this.progress = progress;
  }

  Execution execute(PrunePlan plan) {
    deregisterAndDelete(plan.imagesToDelete().toList(), plan.snapshotsToDelete());

    List<BuilderPlan> builders = plan.staleBuilders().toList();
    Concurrently.forEach(parallelism, builders, this::terminate);
    Set<String> keyPairs = new LinkedHashSet<>();
    Set<String> groups = new LinkedHashSet<>();
    for (BuilderPlan b : builders) {
      if (done.contains(b.instance().id())) {
        if (b.keyPair() != null) {
          keyPairs.add(b.keyPair());
        }
        groups.addAll(b.securityGroupIds());
      }
    }
    builders.stream().filter(b -> !done.contains(b.instance().id()))
        .forEach(b -> groups.removeAll(b.securityGroupIds()));
    Concurrently.forEach(parallelism, keyPairs,
        k -> attempt(k, "deleted key pair", () -> ec2.deleteKeyPair(r -> r.keyName(k))));
    Concurrently.forEach(parallelism, groups,
        g -> attempt(g, "deleted security group", () -> ec2.deleteSecurityGroup(r -> r.groupId(g))));
    return new Execution(done, failures);
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
        failures.put(s.snapshotId(), String.valueOf(e.getMessage()));
      } finally {
        snapshotsLeft.countDown();
      }
    });
    try {
      snapshots.stream().filter(s -> imagesLeft.get(s).get() == 0).forEach(release);
      Concurrently.forEach(parallelism, images, i -> {
        String id = i.image().id();
        try {
          attempt(id, "deregistered", () -> ec2.deregisterImage(b -> b.imageId(id)));
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
    List<String> stillRegistered = s.images().stream().filter(i -> !done.contains(i)).toList();
    if (!stillRegistered.isEmpty()) {
      failures.put(s.snapshotId(), "not deleted: " + String.join(", ", stillRegistered) + " is still registered");
      return;
    }
    attempt(s.snapshotId(), "deleted", () -> snapshotEc2.deleteSnapshot(b -> b.snapshotId(s.snapshotId())));
  }

  /** Terminates the builder and waits until it is gone, so its security group can be deleted. */
  private void terminate(BuilderPlan b) {
    String id = b.instance().id();
    attempt(id, "terminated builder", () -> {
      ec2.terminateInstances(r -> r.instanceIds(id));
      try (Ec2Waiter waiter = ec2.waiter()) {
        return waiter.waitUntilInstanceTerminated(r -> r.instanceIds(id));
      }
    });
  }

  private void attempt(String resource, String verb, Supplier<?> call) {
    try {
      call.get();
      done.add(resource);
      progress.accept(verb + " " + resource);
    } catch (SdkException e) {
      if (ALREADY_GONE.contains(AwsErrors.code(e))) {
        done.add(resource);
        progress.accept(resource + " was already gone");
      } else {
        failures.put(resource, AwsErrors.describe(e));
        progress.accept("FAILED " + resource + ": " + AwsErrors.describe(e));
      }
    }
  }
}
