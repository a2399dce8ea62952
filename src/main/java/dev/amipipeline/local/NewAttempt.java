package dev.amipipeline.local;

import dev.amipipeline.aws.Ec2Tags;
import dev.amipipeline.project.Tags;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.InstanceInterruptionBehavior;
import software.amazon.awssdk.services.ec2.model.InstanceMetadataOptionsResponse;
import software.amazon.awssdk.services.ec2.model.LaunchTemplateInstanceMetadataOptions;
import software.amazon.awssdk.services.ec2.model.MarketType;
import software.amazon.awssdk.services.ec2.model.ResourceType;
import software.amazon.awssdk.services.ec2.model.RunInstancesRequest;
import software.amazon.awssdk.services.ec2.model.ShutdownBehavior;
import software.amazon.awssdk.services.ec2.model.SpotInstanceType;
import software.amazon.awssdk.services.ec2.model.Tag;
import software.amazon.awssdk.services.ec2.model.TagSpecification;

/**
 * What a new attempt of a run is launched as in the emulator, where nothing replaces an instance
 * by itself: like the instance before it, or as the run's fleet launches one; pure. The new
 * instance is the same run to first-boot because it carries the run's tags
 * ({@code ami-pipeline:run} among them), read through the metadata service.
 */
public final class NewAttempt {

  private NewAttempt() {}

  /**
   * An instance like {@code previous}: its image, type, subnet, user-data, metadata options and tags
   * (on the instance and its volumes; not EC2's own {@code aws:} tags nor the cancel tag), powering
   * off as terminate, on the spot market or on demand.
   *
   * @param userData the previous instance's user-data as EC2 holds it (base64), or null
   */
  public static RunInstancesRequest like(Instance previous, String userData, boolean spot) {
    List<Tag> tags = Ec2Tags.toMap(previous.tags()).entrySet().stream()
        .filter(t -> !t.getKey().startsWith("aws:") && !t.getKey().equals(Tags.CANCELLED))
        .map(NewAttempt::tag).toList();
    RunInstancesRequest.Builder run = RunInstancesRequest.builder()
        .imageId(previous.imageId())
        .instanceType(previous.instanceTypeAsString())
        .minCount(1)
        .maxCount(1)
        .subnetId(previous.subnetId())
        .userData(userData)
        .instanceInitiatedShutdownBehavior(ShutdownBehavior.TERMINATE)
        .tagSpecifications(TagSpecification.builder().resourceType(ResourceType.INSTANCE).tags(tags).build(),
            TagSpecification.builder().resourceType(ResourceType.VOLUME).tags(tags).build());
    InstanceMetadataOptionsResponse metadata = previous.metadataOptions();
    if (metadata != null) {
      metadataOptions(run, metadata.httpTokensAsString(), metadata.httpPutResponseHopLimit(),
          metadata.httpEndpointAsString(), metadata.instanceMetadataTagsAsString());
    }
    return market(run, spot).build();
  }

  /**
   * The replacement of {@code previous} in a recovering run, as EC2's fleet launches it from its
   * launch template version (whose instance tags carry the run): the image the template's
   * {@code resolve:ssm:} parameter names now ({@code amiId}; moto does not resolve it), the fleet's
   * override that served (the previous instance's type and subnet), the template's metadata options
   * (moto does not apply a template's) and the market.
   */
  public static RunInstancesRequest fromFleet(FleetReplacement.Fleet fleet, String amiId, Instance previous,
      boolean spot) {
    RunInstancesRequest.Builder run = RunInstancesRequest.builder()
        .launchTemplate(t -> t.launchTemplateId(fleet.templateId()).version(fleet.templateVersion()))
        .imageId(amiId)
        .instanceType(previous.instanceTypeAsString())
        .subnetId(previous.subnetId())
        .minCount(1)
        .maxCount(1);
    LaunchTemplateInstanceMetadataOptions metadata = fleet.metadataOptions();
    if (metadata != null) {
      metadataOptions(run, metadata.httpTokensAsString(), metadata.httpPutResponseHopLimit(),
          metadata.httpEndpointAsString(), metadata.instanceMetadataTagsAsString());
    }
    return market(run, spot).build();
  }

  private static void metadataOptions(RunInstancesRequest.Builder run, String tokens, Integer hopLimit, String endpoint,
      String tags) {
    run.metadataOptions(m -> m.httpTokens(tokens).httpPutResponseHopLimit(hopLimit).httpEndpoint(endpoint)
        .instanceMetadataTags(tags));
  }

  /** A one-time spot request that ends in termination when interrupted, or on demand (no market options). */
  private static RunInstancesRequest.Builder market(RunInstancesRequest.Builder run, boolean spot) {
    return spot ? run.instanceMarketOptions(m -> m.marketType(MarketType.SPOT).spotOptions(s -> s
        .spotInstanceType(SpotInstanceType.ONE_TIME)
        .instanceInterruptionBehavior(InstanceInterruptionBehavior.TERMINATE))) : run;
  }

  private static Tag tag(Map.Entry<String, String> e) {
    return Tag.builder().key(e.getKey()).value(e.getValue()).build();
  }
}
