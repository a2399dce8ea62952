package dev.amipipeline.prune;

import dev.amipipeline.project.Tags;
import java.time.Duration;
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
  public static Map<String, String> end(Ec2Client ec2, String region, String project, Consumer<String> progress) {
    List<Inventory.Instance> builders = InventoryReader.liveInstances(ec2,
        InventoryReader.filter("tag:" + Tags.BUILDER, project));
    if (builders.isEmpty()) {
      return Map.of();
    }
    List<PrunePlan.BuilderPlan> plans = Planner.builderPlans(builders, builders, InventoryReader.liveInstances(ec2));
    PrunePlan plan = new PrunePlan(region,
        List.of(new PrunePlan.ProjectPlan(project, 1, Duration.ZERO, List.of(), List.of(), plans)), List.of());
    return new PruneExecutor(ec2, ec2, PARALLELISM, progress).execute(plan).failures();
  }
}
