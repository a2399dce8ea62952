package dev.amipipeline.bake;

import dev.amipipeline.aws.AwsClients;
import dev.amipipeline.aws.AwsErrors;
import dev.amipipeline.common.AmiException;
import dev.amipipeline.common.Concurrently;
import dev.amipipeline.common.WaitReporter;
import dev.amipipeline.project.ParameterNames;
import dev.amipipeline.project.ProjectParameters;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Supplier;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.Image;
import software.amazon.awssdk.services.ec2.model.ImdsSupportValues;
import software.amazon.awssdk.services.ec2.model.Tag;
import software.amazon.awssdk.services.ec2.waiters.Ec2Waiter;

/**
 * The EC2 and SSM edge after Packer: waits for each AMI to be available, tags it and its snapshots,
 * sets what Packer 1.6.6 cannot (IMDSv2 only, deprecation time), then records it in SSM.
 */
final class ImageRecorder {

  /** Answers meaning "this endpoint does not do that", as opposed to "you may not" or "it broke". */
  private static final Set<String> NOT_IMPLEMENTED = Set.of("NotImplemented", "InvalidAction", "UnsupportedOperation");

  private final AwsClients aws;
  private final Consumer<String> say;

  /** @param say where the wait for an AMI is reported (stderr) */
  ImageRecorder(AwsClients aws, Consumer<String> say) {
    this.aws = aws;
    this.say = say;
  }

  /**
   * Waits until {@code amiId} is available, tags it and each of its EBS snapshots, and hardens it.
   * Returns the snapshot ids; what the endpoint could not do is added to {@code notes}.
   */
  List<String> finish(String region, String amiId, Map<String, String> tags, Instant deprecateAt, List<String> notes) {
    Ec2Client ec2 = aws.ec2(Region.of(region));
    Image image;
    try (Ec2Waiter waiter = ec2.waiter();
        WaitReporter waiting = WaitReporter.during("AMI " + amiId + " in " + region + " to become available", say)) {
      var matched = waiter.waitUntilImageAvailable(b -> b.imageIds(amiId)).matched();
      matched.exception().ifPresent(e -> {
        throw new AmiException.Failed("AMI " + amiId + " in " + region + " did not become available: " + e.getMessage());
      });
      // The waiter's last answer already describes the image.
      image = matched.response().flatMap(r -> r.images().stream().findFirst()).orElseGet(() -> describe(ec2, amiId));
    }
    List<String> snapshots = image.blockDeviceMappings().stream()
        .filter(m -> m.ebs() != null && m.ebs().snapshotId() != null)
        .map(m -> m.ebs().snapshotId())
        .toList();
    List<String> resources = new ArrayList<>(snapshots);
    resources.add(0, amiId);
    List<Tag> ec2Tags = tags.entrySet().stream().map(e -> Tag.builder().key(e.getKey()).value(e.getValue()).build()).toList();
    // Three independent round trips, so they overlap.
    List<Supplier<Optional<String>>> steps = List.of(
        () -> {
          // Packer tags too, but snapshots of copies may miss them, and CreateTags is idempotent.
          ec2.createTags(b -> b.resources(resources).tags(ec2Tags));
          return Optional.empty();
        },
        () -> requireImdsV2(ec2, region, amiId),
        () -> deprecateAt == null ? Optional.empty() : deprecate(region, amiId, deprecateAt));
    Concurrently.all(steps).forEach(note -> note.ifPresent(notes::add));
    return snapshots;
  }

  /** Writes run, snapshot-ids and ami-id (last) in the region's Parameter Store; returns the ami-id version. */
  long record(String region, ParameterNames names, String amiId, List<String> snapshots, String runConfigJson) {
    return new ProjectParameters(aws.ssm(Region.of(region)), names).recordBake(amiId, snapshots, runConfigJson);
  }

  /** Instances from the AMI then get IMDSv2 only (tokens required), whatever launches them. */
  private static Optional<String> requireImdsV2(Ec2Client ec2, String region, String amiId) {
    try {
      ec2.modifyImageAttribute(b -> b.imageId(amiId).imdsSupport(a -> a.value("v2.0")));
    } catch (AwsServiceException e) {
      if (!notImplemented(e)) {
        throw e;
      }
      return Optional.of("IMDSv2 not set on " + amiId + " in " + region + ": the endpoint does not implement it ("
          + AwsErrors.code(e) + ")");
    }
    if (describe(ec2, amiId).imdsSupport() != ImdsSupportValues.V2_0) {
      return Optional.of("IMDSv2 not recorded on " + amiId + " in " + region
          + ": the endpoint ignored imdsSupport (the first-boot script uses IMDSv2 anyway)");
    }
    return Optional.empty();
  }

  /** Tried once: an endpoint without it answers 500, which retrying only makes slower. */
  private Optional<String> deprecate(String region, String amiId, Instant at) {
    try {
      aws.ec2Once(Region.of(region)).enableImageDeprecation(b -> b.imageId(amiId).deprecateAt(at));
      return Optional.empty();
    } catch (AwsServiceException e) {
      if (!notImplemented(e)) {
        throw e;
      }
      return Optional.of("deprecation time not set on " + amiId + " in " + region
          + ": the endpoint does not implement EnableImageDeprecation (" + AwsErrors.code(e) + ")");
    } catch (SdkClientException e) {
      return Optional.of("deprecation time not set on " + amiId + " in " + region + ": " + e.getMessage());
    }
  }

  private static Image describe(Ec2Client ec2, String amiId) {
    List<Image> images = ec2.describeImages(b -> b.imageIds(amiId)).images();
    if (images.isEmpty()) {
      throw new AmiException.Failed("AMI " + amiId + " that Packer reported does not exist");
    }
    return images.get(0);
  }

  private static boolean notImplemented(AwsServiceException e) {
    return e.statusCode() >= 500 || NOT_IMPLEMENTED.contains(AwsErrors.code(e));
  }
}
