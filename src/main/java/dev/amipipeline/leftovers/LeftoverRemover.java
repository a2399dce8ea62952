package dev.amipipeline.leftovers;

import dev.amipipeline.common.Concurrently;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.waiters.Ec2Waiter;

/** The EC2 edge that removes leftovers on a bounded pool, recording each removal in a {@link Removals}. */
public final class LeftoverRemover {

  private final Ec2Client ec2;
  private final int parallelism;
  private final Removals removals;

  public LeftoverRemover(Ec2Client ec2, int parallelism, Removals removals) {
    this.ec2 = ec2;
    this.parallelism = parallelism;
    this.removals = removals;
  }

  /**
   * Terminates the builders and waits until they are gone; then deletes the key pairs and groups of
   * those that went, except a group a builder that stays is still in.
   */
  public void endBuilders(List<BuilderPlan> builders) {
    Concurrently.forEach(parallelism, builders, this::terminate);
    Set<String> keyPairs = new LinkedHashSet<>();
    Set<String> groups = new LinkedHashSet<>();
    for (BuilderPlan b : builders) {
      if (removals.isDone(b.instance().id())) {
        if (b.keyPair() != null) {
          keyPairs.add(b.keyPair());
        }
        groups.addAll(b.securityGroupIds());
      }
    }
    builders.stream().filter(b -> !removals.isDone(b.instance().id()))
        .forEach(b -> groups.removeAll(b.securityGroupIds()));
    Concurrently.forEach(parallelism, keyPairs,
        k -> removals.attempt(k, "deleted key pair", () -> ec2.deleteKeyPair(r -> r.keyName(k))));
    Concurrently.forEach(parallelism, groups,
        g -> removals.attempt(g, "deleted security group", () -> ec2.deleteSecurityGroup(r -> r.groupId(g))));
  }

  /** Deletes each leaked fleet with its instances (the fleet's deletion terminates them). */
  public void deleteFleets(List<LeakedFleet> fleets) {
    Concurrently.forEach(parallelism, fleets, f -> removals.attempt(f.fleet().id(), "deleted fleet", () -> {
      RunFleets.delete(ec2, f.fleet().id());
      return f;
    }));
  }

  /** Terminates the builder and waits until it is gone, so its security group can be deleted. */
  private void terminate(BuilderPlan b) {
    String id = b.instance().id();
    removals.attempt(id, "terminated builder", () -> {
      ec2.terminateInstances(r -> r.instanceIds(id));
      try (Ec2Waiter waiter = ec2.waiter()) {
        return waiter.waitUntilInstanceTerminated(r -> r.instanceIds(id));
      }
    });
  }
}
