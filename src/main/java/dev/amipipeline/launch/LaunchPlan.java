package dev.amipipeline.launch;

import dev.amipipeline.project.Tags;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Everything a launch sends to EC2, decided from project + flags + AMI id; the edge turns it into
 * RunInstances, CreateFleet or launch-template requests ({@link Ec2Requests}).
 *
 * @param runId the run the launch starts, tagged on all it creates; null for the project's shared launch
 *     template (each instance started from it is a run of its own)
 * @param amiId the AMI this launch starts (read from SSM)
 * @param imageRef what a launch template names instead, {@code resolve:ssm:<parameter>}, so it follows
 *     each new bake
 * @param instanceTypes in order of preference; the first one is tried first
 * @param subnets in order of preference; empty means the default VPC's choice
 * @param placementGroup a cluster placement group's name, or null
 * @param recovery how the run recovers from spot interruptions; null = it does not
 */
public record LaunchPlan(
    String project,
    String runId,
    String amiId,
    String imageRef,
    Market market,
    boolean onDemandFallback,
    List<String> instanceTypes,
    List<String> subnets,
    List<String> securityGroups,
    String iamInstanceProfile,
    String keyName,
    List<BlockDevice> blockDevices,
    Map<String, String> tags,
    int count,
    String placementGroup,
    Recovery recovery) {

  public LaunchPlan {
    if (instanceTypes == null || instanceTypes.isEmpty()) {
      throw new IllegalArgumentException("a launch needs at least one instance type");
    }
    if (count < 1) {
      throw new IllegalArgumentException("count must be at least 1, was " + count);
    }
    if (tags == null || !project.equals(tags.get(Tags.PROJECT))) {
      throw new IllegalArgumentException("launches are tagged " + Tags.PROJECT + "=" + project);
    }
    if (runId != null && !runId.equals(tags.get(Tags.RUN))) {
      throw new IllegalArgumentException("a run's launch is tagged " + Tags.RUN + "=" + runId);
    }
    if (recovery != null && (runId == null || onDemandFallback)) {
      throw new IllegalArgumentException("a recovering launch is a run's, without on-demand fallback");
    }
    if (onDemandFallback && !(market instanceof Market.Spot)) {
      throw new IllegalArgumentException("on-demand fallback only follows spot");
    }
    instanceTypes = List.copyOf(instanceTypes);
    subnets = List.copyOf(subnets);
    securityGroups = List.copyOf(securityGroups);
    blockDevices = List.copyOf(blockDevices);
    tags = Collections.unmodifiableMap(new LinkedHashMap<>(tags));
  }

  /**
   * This launch as the project's shared launch template has it ({@code --template-only}): no run and
   * none of a run's tags, one instance, no placement group.
   */
  public LaunchPlan shared() {
    Map<String, String> shared = new LinkedHashMap<>(tags);
    List.of(Tags.RUN, Tags.NODES, Tags.MAX_ATTEMPTS, Tags.ON_DEMAND_AFTER).forEach(shared::remove);
    return new LaunchPlan(project, null, amiId, imageRef, market, onDemandFallback, instanceTypes, subnets,
        securityGroups, iamInstanceProfile, keyName, blockDevices, shared, 1, null, null);
  }

  /** The user-data; see {@link UserData}. */
  public String userData() {
    return UserData.of(project);
  }

  /** An instant EC2 Fleet: more than one instance, not recovering. */
  public boolean fleet() {
    return count > 1 && recovery == null;
  }

  /** A recovering run: a {@code maintain} EC2 Fleet from a version of the project's launch template. */
  public boolean recovers() {
    return recovery != null;
  }

  /**
   * The single-instance attempts in order: each instance type in each subnet, in the given market;
   * then, with on-demand fallback, the same again on demand.
   */
  public List<Attempt> attempts() {
    List<Attempt> all = new ArrayList<>();
    List<Market> markets = onDemandFallback ? List.of(market, Market.onDemand()) : List.of(market);
    for (Market m : markets) {
      for (String type : instanceTypes) {
        if (subnets.isEmpty()) {
          all.add(new Attempt(type, null, m));
        }
        for (String subnet : subnets) {
          all.add(new Attempt(type, subnet, m));
        }
      }
    }
    return List.copyOf(all);
  }

  /** One way to place a single instance: a type, a subnet (null: the default VPC's) and a market. */
  public record Attempt(String instanceType, String subnetId, Market market) {
    public Attempt {
      if (instanceType == null || market == null) {
        throw new IllegalArgumentException("an attempt needs an instance type and a market");
      }
    }

    @Override
    public String toString() {
      return market.label() + " " + instanceType + (subnetId == null ? "" : " in " + subnetId);
    }
  }
}
