package dev.amipipeline.leftovers;

import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import software.amazon.awssdk.services.ec2.Ec2Client;

/**
 * Ends a project's builder instances that no Packer runs any more, with their {@code packer_*} key
 * pair and security groups: what a killed bake leaves behind, or a Packer whose own clean-up call
 * failed. Safe only while the caller holds the project's bake lock and no Packer of its own runs:
 * then every live builder of the project in the region is a leak.
 */
public final class LeakedBuilders {

  private static final int PARALLELISM = 4;

  private LeakedBuilders() {}

  /** Ends them; returns what could not be removed (resource id to reason), empty when all went. */
  public static Map<String, String> end(Ec2Client ec2, String project, Consumer<String> progress) {
    List<LiveInstance> builders = LiveInstances.buildersOf(ec2, project);
    if (builders.isEmpty()) {
      return Map.of();
    }
    List<BuilderPlan> plans = BuilderPlanner.plans(builders, builders, LiveInstances.all(ec2));
    Removals removals = new Removals(progress);
    new LeftoverRemover(ec2, PARALLELISM, removals).endBuilders(plans);
    return removals.failures();
  }
}
