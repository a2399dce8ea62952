package dev.amipipeline.launch;

import dev.amipipeline.project.Tags;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.services.ec2.model.BlockDeviceMapping;
import software.amazon.awssdk.services.ec2.model.CreateFleetRequest;
import software.amazon.awssdk.services.ec2.model.CreateLaunchTemplateRequest;
import software.amazon.awssdk.services.ec2.model.CreateLaunchTemplateVersionRequest;
import software.amazon.awssdk.services.ec2.model.DefaultTargetCapacityType;
import software.amazon.awssdk.services.ec2.model.FleetExcessCapacityTerminationPolicy;
import software.amazon.awssdk.services.ec2.model.FleetLaunchTemplateConfigRequest;
import software.amazon.awssdk.services.ec2.model.FleetLaunchTemplateOverridesRequest;
import software.amazon.awssdk.services.ec2.model.FleetOnDemandAllocationStrategy;
import software.amazon.awssdk.services.ec2.model.FleetType;
import software.amazon.awssdk.services.ec2.model.HttpTokensState;
import software.amazon.awssdk.services.ec2.model.IamInstanceProfileSpecification;
import software.amazon.awssdk.services.ec2.model.InstanceInterruptionBehavior;
import software.amazon.awssdk.services.ec2.model.InstanceMetadataEndpointState;
import software.amazon.awssdk.services.ec2.model.InstanceMetadataTagsState;
import software.amazon.awssdk.services.ec2.model.LaunchTemplateBlockDeviceMappingRequest;
import software.amazon.awssdk.services.ec2.model.LaunchTemplateHttpTokensState;
import software.amazon.awssdk.services.ec2.model.LaunchTemplateIamInstanceProfileSpecificationRequest;
import software.amazon.awssdk.services.ec2.model.LaunchTemplateInstanceMetadataEndpointState;
import software.amazon.awssdk.services.ec2.model.LaunchTemplateInstanceMetadataTagsState;
import software.amazon.awssdk.services.ec2.model.LaunchTemplatePlacementRequest;
import software.amazon.awssdk.services.ec2.model.LaunchTemplateTagSpecificationRequest;
import software.amazon.awssdk.services.ec2.model.MarketType;
import software.amazon.awssdk.services.ec2.model.RequestLaunchTemplateData;
import software.amazon.awssdk.services.ec2.model.ResourceType;
import software.amazon.awssdk.services.ec2.model.RunInstancesRequest;
import software.amazon.awssdk.services.ec2.model.ShutdownBehavior;
import software.amazon.awssdk.services.ec2.model.SpotAllocationStrategy;
import software.amazon.awssdk.services.ec2.model.SpotInstanceInterruptionBehavior;
import software.amazon.awssdk.services.ec2.model.SpotInstanceType;
import software.amazon.awssdk.services.ec2.model.Tag;
import software.amazon.awssdk.services.ec2.model.TagSpecification;

/**
 * Turns a {@link LaunchPlan} into EC2 requests. Pure: builds request objects, sends nothing. Every
 * launch path gets the same user-data, metadata options (IMDSv2 required, hop limit 2 so containers
 * on the host reach it, instance tags readable there so the instance learns its run id without an
 * API call), shutdown behavior (terminate: powering off from inside ends the instance, no
 * TerminateInstances permission needed on it), tags and encrypted volumes.
 */
public final class Ec2Requests {

  /** Hops an IMDSv2 token response may travel: 2 lets a container on the host reach the service. */
  static final int METADATA_HOP_LIMIT = 2;

  /**
   * What a launch template is for: a standalone one follows the SSM parameter; a fleet's is transient;
   * a recovering run's version of the project's template follows the SSM parameter (or the pinned
   * version) so each replacement starts from it, and leaves type, subnet and market to the fleet.
   */
  public enum TemplateUse { STANDALONE, FLEET, RUN }

  private Ec2Requests() {}

  /** The project's launch template, created or updated by {@code --template-only}. */
  public static String templateName(String project) {
    return "ami-pipeline-" + project;
  }

  /** The launch template one fleet launch makes and deletes again. */
  public static String fleetTemplateName(String project, String launchId) {
    return "ami-pipeline-" + project + "-fleet-" + launchId;
  }

  public static RunInstancesRequest runInstances(LaunchPlan plan, LaunchPlan.Attempt attempt, boolean dryRun) {
    RunInstancesRequest.Builder run = RunInstancesRequest.builder()
        .imageId(plan.amiId())
        .instanceType(attempt.instanceType())
        .minCount(1)
        .maxCount(1)
        .userData(UserData.base64(plan.project()))
        .metadataOptions(m -> m.httpTokens(HttpTokensState.REQUIRED)
            .httpPutResponseHopLimit(METADATA_HOP_LIMIT).httpEndpoint(InstanceMetadataEndpointState.ENABLED)
            .instanceMetadataTags(InstanceMetadataTagsState.ENABLED))
        .instanceInitiatedShutdownBehavior(ShutdownBehavior.TERMINATE)
        .tagSpecifications(tagSpecifications(plan, attempt.market()))
        .subnetId(attempt.subnetId()) // a null leaves a field out of the request
        .keyName(plan.keyName())
        .iamInstanceProfile(plan.iamInstanceProfile() == null ? null
            : IamInstanceProfileSpecification.builder().name(plan.iamInstanceProfile()).build())
        .placement(plan.placementGroup() == null ? null
            : software.amazon.awssdk.services.ec2.model.Placement.builder().groupName(plan.placementGroup()).build())
        .dryRun(dryRun);
    if (!plan.securityGroups().isEmpty()) {
      run.securityGroupIds(plan.securityGroups());
    }
    if (!plan.blockDevices().isEmpty()) {
      run.blockDeviceMappings(plan.blockDevices().stream().map(Ec2Requests::mapping).toList());
    }
    if (attempt.market() instanceof Market.Spot spot) {
      run.instanceMarketOptions(m -> m.marketType(MarketType.SPOT).spotOptions(s -> s
          .spotInstanceType(SpotInstanceType.ONE_TIME)
          .instanceInterruptionBehavior(InstanceInterruptionBehavior.TERMINATE)
          .maxPrice(maxPrice(spot))));
    }
    return run.build();
  }

  /**
   * Launch template data. A standalone template names the image as {@code resolve:ssm:…}, so it
   * launches the latest bake, and carries the first instance type and the spot market; a fleet's
   * template names the AMI read for this launch, and leaves type, subnet and market to the fleet
   * (EC2 Fleet refuses templates with market options); a recovering run's version names the image as
   * the standalone template does and leaves the rest to the fleet as a fleet's does.
   */
  public static RequestLaunchTemplateData templateData(LaunchPlan plan, TemplateUse use) {
    RequestLaunchTemplateData.Builder data = RequestLaunchTemplateData.builder()
        .imageId(use == TemplateUse.FLEET ? plan.amiId() : plan.imageRef())
        .userData(UserData.base64(plan.project()))
        .metadataOptions(m -> m.httpTokens(LaunchTemplateHttpTokensState.REQUIRED)
            .httpPutResponseHopLimit(METADATA_HOP_LIMIT)
            .httpEndpoint(LaunchTemplateInstanceMetadataEndpointState.ENABLED)
            .instanceMetadataTags(LaunchTemplateInstanceMetadataTagsState.ENABLED))
        .instanceInitiatedShutdownBehavior(ShutdownBehavior.TERMINATE)
        .tagSpecifications(List.of(templateTags(ResourceType.INSTANCE, plan.tags()),
            templateTags(ResourceType.VOLUME, plan.tags())))
        .keyName(plan.keyName())
        .iamInstanceProfile(plan.iamInstanceProfile() == null ? null
            : LaunchTemplateIamInstanceProfileSpecificationRequest.builder().name(plan.iamInstanceProfile()).build())
        .placement(plan.placementGroup() == null ? null
            : LaunchTemplatePlacementRequest.builder().groupName(plan.placementGroup()).build());
    if (use == TemplateUse.STANDALONE) {
      data.instanceType(plan.instanceTypes().get(0));
      if (plan.market() instanceof Market.Spot spot) {
        data.instanceMarketOptions(m -> m.marketType(MarketType.SPOT).spotOptions(s -> s
            .spotInstanceType(SpotInstanceType.ONE_TIME)
            .instanceInterruptionBehavior(InstanceInterruptionBehavior.TERMINATE)
            .maxPrice(maxPrice(spot))));
      }
    }
    if (!plan.securityGroups().isEmpty()) {
      data.securityGroupIds(plan.securityGroups());
    }
    if (!plan.blockDevices().isEmpty()) {
      data.blockDeviceMappings(plan.blockDevices().stream().map(Ec2Requests::templateMapping).toList());
    }
    return data.build();
  }

  /** The template carries the project tag and, when it is a run's own (a fleet's), the run tag. */
  public static CreateLaunchTemplateRequest createTemplate(String name, RequestLaunchTemplateData data,
      Map<String, String> tags, boolean dryRun) {
    return CreateLaunchTemplateRequest.builder()
        .launchTemplateName(name)
        .launchTemplateData(data)
        .versionDescription("ami-pipeline launch")
        .tagSpecifications(TagSpecification.builder().resourceType(ResourceType.LAUNCH_TEMPLATE)
            .tags(ownerTags(tags)).build())
        .dryRun(dryRun)
        .build();
  }

  public static CreateLaunchTemplateVersionRequest createTemplateVersion(String templateId,
      RequestLaunchTemplateData data, boolean dryRun) {
    return createTemplateVersion(templateId, data, "ami-pipeline launch", dryRun);
  }

  /**
   * A recovering run's own version of the project's template (never made the default). Launch
   * template versions cannot carry tags: the description and the instance tags name the run.
   */
  public static CreateLaunchTemplateVersionRequest createRunTemplateVersion(String templateId, LaunchPlan plan,
      boolean dryRun) {
    return createTemplateVersion(templateId, templateData(plan, TemplateUse.RUN), "run " + plan.runId(), dryRun);
  }

  private static CreateLaunchTemplateVersionRequest createTemplateVersion(String templateId,
      RequestLaunchTemplateData data, String description, boolean dryRun) {
    return CreateLaunchTemplateVersionRequest.builder()
        .launchTemplateId(templateId)
        .launchTemplateData(data)
        .versionDescription(description)
        .dryRun(dryRun)
        .build();
  }

  /**
   * An instant EC2 Fleet of {@code capacity} instances over every instance type × subnet of the plan:
   * capacity-optimized for spot (fewest interruptions), lowest-price on demand. A cluster placement
   * group keeps the fleet in one AZ. The fleet carries the project and run tags; its instances and
   * volumes get theirs from the template (the only way for fleets that are not instant).
   */
  public static CreateFleetRequest createFleet(LaunchPlan plan, String templateId, Market market, int capacity,
      boolean dryRun) {
    boolean spot = market instanceof Market.Spot;
    boolean oneAz = plan.placementGroup() != null;
    CreateFleetRequest.Builder fleet = CreateFleetRequest.builder()
        .type(FleetType.INSTANT)
        .launchTemplateConfigs(templateConfig(plan, templateId, "$Latest", market))
        .targetCapacitySpecification(t -> t.totalTargetCapacity(capacity)
            .defaultTargetCapacityType(spot ? DefaultTargetCapacityType.SPOT : DefaultTargetCapacityType.ON_DEMAND))
        .tagSpecifications(TagSpecification.builder().resourceType(ResourceType.FLEET)
            .tags(ownerTags(plan.tags())).build())
        .dryRun(dryRun);
    if (spot) {
      fleet.spotOptions(s -> s.allocationStrategy(SpotAllocationStrategy.CAPACITY_OPTIMIZED)
          .instanceInterruptionBehavior(SpotInstanceInterruptionBehavior.TERMINATE)
          .singleAvailabilityZone(oneAz ? true : null));
    } else {
      fleet.onDemandOptions(o -> o.allocationStrategy(FleetOnDemandAllocationStrategy.LOWEST_PRICE)
          .singleAvailabilityZone(oneAz ? true : null));
    }
    return fleet.build();
  }

  /**
   * A recovering run's {@code maintain} EC2 Fleet: it keeps {@code count} instances of the run's
   * template version over every instance type × subnet, replacing interrupted and unhealthy ones,
   * until the instance side deletes it at the run's end or {@code ValidUntil} passes (then EC2 also
   * ends what still runs: the cost ceiling). Both markets' options are set, so the instance side can
   * turn it to on demand (ModifyFleet). The fleet carries project, run and Name; AWS refuses instance
   * tag specifications for maintain fleets, so instances get theirs from the template version. The
   * run id is the client token: a retried request makes one fleet.
   */
  public static CreateFleetRequest createRecoveringFleet(LaunchPlan plan, String templateId, String version,
      boolean dryRun) {
    if (!plan.recovers()) {
      throw new IllegalArgumentException("not a recovering launch");
    }
    boolean spot = plan.market() instanceof Market.Spot;
    int capacity = plan.count();
    Boolean oneAz = plan.placementGroup() != null ? true : null;
    Map<String, String> fleetTags = new LinkedHashMap<>();
    List.of(Tags.PROJECT, Tags.RUN, Tags.NAME).forEach(k -> fleetTags.put(k, plan.tags().get(k)));
    return CreateFleetRequest.builder()
        .type(FleetType.MAINTAIN)
        .clientToken(plan.runId())
        .launchTemplateConfigs(templateConfig(plan, templateId, version, plan.market()))
        .targetCapacitySpecification(t -> {
          t.totalTargetCapacity(capacity)
              .defaultTargetCapacityType(spot ? DefaultTargetCapacityType.SPOT : DefaultTargetCapacityType.ON_DEMAND);
          if (spot) {
            t.spotTargetCapacity(capacity);
          } else {
            t.onDemandTargetCapacity(capacity);
          }
        })
        .spotOptions(s -> s.allocationStrategy(SpotAllocationStrategy.CAPACITY_OPTIMIZED)
            .instanceInterruptionBehavior(SpotInstanceInterruptionBehavior.TERMINATE).singleAvailabilityZone(oneAz))
        .onDemandOptions(o -> o.allocationStrategy(FleetOnDemandAllocationStrategy.LOWEST_PRICE)
            .singleAvailabilityZone(oneAz))
        .validUntil(plan.recovery().validUntil())
        .terminateInstancesWithExpiration(true)
        .replaceUnhealthyInstances(true)
        .excessCapacityTerminationPolicy(FleetExcessCapacityTerminationPolicy.TERMINATION)
        .tagSpecifications(TagSpecification.builder().resourceType(ResourceType.FLEET)
            .tags(fleetTags.entrySet().stream().map(Ec2Requests::tag).toList()).build())
        .dryRun(dryRun)
        .build();
  }

  /** The template (id and version) and an override for every instance type × subnet, in order of preference. */
  private static FleetLaunchTemplateConfigRequest templateConfig(LaunchPlan plan, String templateId, String version,
      Market market) {
    String maxPrice = market instanceof Market.Spot s ? maxPrice(s) : null;
    List<FleetLaunchTemplateOverridesRequest> overrides = new ArrayList<>();
    for (String type : plan.instanceTypes()) {
      if (plan.subnets().isEmpty()) {
        overrides.add(FleetLaunchTemplateOverridesRequest.builder().instanceType(type).maxPrice(maxPrice).build());
      }
      for (String subnet : plan.subnets()) {
        overrides.add(FleetLaunchTemplateOverridesRequest.builder().instanceType(type).subnetId(subnet)
            .maxPrice(maxPrice).build());
      }
    }
    return FleetLaunchTemplateConfigRequest.builder()
        .launchTemplateSpecification(s -> s.launchTemplateId(templateId).version(version))
        .overrides(overrides).build();
  }

  private static String maxPrice(Market.Spot spot) {
    return spot.maxPrice() == null ? null : spot.maxPrice().toPlainString();
  }

  private static List<TagSpecification> tagSpecifications(LaunchPlan plan, Market market) {
    List<Tag> tags = plan.tags().entrySet().stream().map(Ec2Requests::tag).toList();
    List<TagSpecification> specs = new ArrayList<>();
    specs.add(TagSpecification.builder().resourceType(ResourceType.INSTANCE).tags(tags).build());
    specs.add(TagSpecification.builder().resourceType(ResourceType.VOLUME).tags(tags).build());
    if (market instanceof Market.Spot) {
      specs.add(TagSpecification.builder().resourceType(ResourceType.SPOT_INSTANCES_REQUEST).tags(tags).build());
    }
    return specs;
  }

  /** What a fleet or template is tagged with: whose it is (project, and run when it is a run's own). */
  private static List<Tag> ownerTags(Map<String, String> tags) {
    return tags.entrySet().stream().filter(e -> e.getKey().equals(Tags.PROJECT) || e.getKey().equals(Tags.RUN))
        .map(Ec2Requests::tag).toList();
  }

  private static LaunchTemplateTagSpecificationRequest templateTags(ResourceType type, Map<String, String> tags) {
    return LaunchTemplateTagSpecificationRequest.builder().resourceType(type)
        .tags(tags.entrySet().stream().map(Ec2Requests::tag).toList()).build();
  }

  private static BlockDeviceMapping mapping(BlockDevice d) {
    return BlockDeviceMapping.builder().deviceName(d.deviceName())
        .ebs(e -> e.volumeSize(d.sizeGiB()).volumeType(d.volumeType()).iops(d.iops()).throughput(d.throughput())
            .encrypted(true).deleteOnTermination(d.deleteOnTermination()))
        .build();
  }

  private static LaunchTemplateBlockDeviceMappingRequest templateMapping(BlockDevice d) {
    return LaunchTemplateBlockDeviceMappingRequest.builder().deviceName(d.deviceName())
        .ebs(e -> e.volumeSize(d.sizeGiB()).volumeType(d.volumeType()).iops(d.iops()).throughput(d.throughput())
            .encrypted(true).deleteOnTermination(d.deleteOnTermination()))
        .build();
  }

  private static Tag tag(Map.Entry<String, String> e) {
    return Tag.builder().key(e.getKey()).value(e.getValue()).build();
  }
}
