package dev.amipipeline.local;

import dev.amipipeline.aws.AwsClients;
import dev.amipipeline.aws.Ec2Tags;
import dev.amipipeline.project.Tags;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.services.ec2.model.DefaultTargetCapacityType;
import software.amazon.awssdk.services.ec2.model.FleetData;
import software.amazon.awssdk.services.ec2.model.FleetLaunchTemplateSpecification;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.ResponseLaunchTemplateData;

/**
 * The emulator's side of a recovering run: its fleet (found, as {@code ami cancel} finds it, among
 * DescribeFleets by its {@code ami-pipeline:run} tag: DescribeFleets has no tag filter), what the
 * fleet's launch template version says, and the image a {@code resolve:ssm:} image id names now.
 */
final class RunFleets {

  private final AwsClients aws;

  RunFleets(AwsClients aws) {
    this.aws = aws;
  }

  /** The fleet of a recovering run's instance (tagged with the run and its max attempts); empty for others. */
  Optional<FleetReplacement.Fleet> ofRecovering(Instance instance, Instant now) {
    Map<String, String> tags = Ec2Tags.toMap(instance.tags());
    return tags.containsKey(FleetReplacement.MAX_ATTEMPTS_TAG) && tags.containsKey(Tags.RUN)
        ? ofRun(tags.get(Tags.RUN), now) : Optional.empty();
  }

  /** The run's fleet: the one EC2 still maintains, else the one with the highest id. */
  Optional<FleetReplacement.Fleet> ofRun(String runId, Instant now) {
    List<FleetData> fleets = aws.ec2().describeFleetsPaginator(b -> { }).fleets().stream()
        .filter(f -> runId.equals(Ec2Tags.toMap(f.tags()).get(Tags.RUN))).toList();
    return fleets.stream().map(this::fleet).max(Comparator.comparing((FleetReplacement.Fleet f) -> f.maintains(now))
        .thenComparing(FleetReplacement.Fleet::fleetId));
  }

  /** What {@code imageId} is at launch: the AMI id a {@code resolve:ssm:} parameter holds now, else itself. */
  String imageOf(String imageId) {
    return FleetReplacement.ssmParameter(imageId)
        .map(name -> aws.ssm().getParameter(b -> b.name(name)).parameter().value())
        .orElse(imageId);
  }

  private FleetReplacement.Fleet fleet(FleetData fleet) {
    FleetLaunchTemplateSpecification template = fleet.launchTemplateConfigs().get(0).launchTemplateSpecification();
    ResponseLaunchTemplateData data = aws.ec2().describeLaunchTemplateVersions(b -> b
            .launchTemplateId(template.launchTemplateId()).versions(template.version()))
        .launchTemplateVersions().get(0).launchTemplateData();
    return new FleetReplacement.Fleet(fleet.fleetId(), fleet.fleetStateAsString(), template.launchTemplateId(),
        template.version(), fleet.targetCapacitySpecification().defaultTargetCapacityType()
            == DefaultTargetCapacityType.SPOT,
        fleet.validUntil(), Boolean.TRUE.equals(fleet.terminateInstancesWithExpiration()), data.imageId(),
        data.metadataOptions());
  }
}
