package dev.amipipeline.local;

import static org.assertj.core.api.Assertions.assertThat;

import dev.amipipeline.results.ResultFolder;
import java.util.List;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.ec2.model.HttpTokensState;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.InstanceMetadataTagsState;
import software.amazon.awssdk.services.ec2.model.MarketType;
import software.amazon.awssdk.services.ec2.model.ResourceType;
import software.amazon.awssdk.services.ec2.model.RunInstancesRequest;
import software.amazon.awssdk.services.ec2.model.ShutdownBehavior;
import software.amazon.awssdk.services.ec2.model.Tag;
import software.amazon.awssdk.services.ec2.model.TagSpecification;

/** A new attempt of a run, launched in the emulator like the instance before it. */
class NewAttemptTest {

  static final Instance PREVIOUS = Instance.builder().instanceId("i-0123456789abcdef0").imageId("ami-0abc")
      .instanceType("t3.micro").subnetId("subnet-1")
      .metadataOptions(m -> m.httpTokens(HttpTokensState.REQUIRED).httpPutResponseHopLimit(2)
          .instanceMetadataTags(InstanceMetadataTagsState.ENABLED))
      .tags(tag("ami-pipeline:project", "demo"), tag("Name", "demo-20261202-101500"),
          tag("ami-pipeline:run", "demo-20261202-101500-3fa9"), tag("ami-pipeline:cancelled", "2026-12-02T10:20:00Z"),
          tag("aws:ec2launchtemplate:id", "lt-1"))
      .build();

  @Test
  void theRunsTagsImageTypeSubnetUserDataAndMetadataOptionsButNotTheCancelOrEc2sOwnTags() {
    RunInstancesRequest request = NewAttempt.like(PREVIOUS, "QU1JX1BST0pFQ1Q9ZGVtbwo=", false);

    assertThat(request.imageId()).isEqualTo("ami-0abc");
    assertThat(request.instanceTypeAsString()).isEqualTo("t3.micro");
    assertThat(request.subnetId()).isEqualTo("subnet-1");
    assertThat(List.of(request.minCount(), request.maxCount())).containsExactly(1, 1);
    assertThat(request.userData()).isEqualTo("QU1JX1BST0pFQ1Q9ZGVtbwo=");
    assertThat(request.instanceInitiatedShutdownBehavior()).isEqualTo(ShutdownBehavior.TERMINATE);
    assertThat(request.metadataOptions().httpTokens()).isEqualTo(HttpTokensState.REQUIRED);
    assertThat(request.metadataOptions().httpPutResponseHopLimit()).isEqualTo(2);
    assertThat(request.metadataOptions().instanceMetadataTags()).isEqualTo(InstanceMetadataTagsState.ENABLED);
    assertThat(request.tagSpecifications()).extracting(TagSpecification::resourceType)
        .containsExactly(ResourceType.INSTANCE, ResourceType.VOLUME);
    assertThat(request.tagSpecifications()).allSatisfy(spec -> assertThat(spec.tags())
        .extracting(Tag::key).containsExactlyInAnyOrder("ami-pipeline:project", "Name", "ami-pipeline:run"));
    assertThat(request.tagSpecifications().get(0).tags())
        .contains(tag("ami-pipeline:run", "demo-20261202-101500-3fa9"));
    assertThat(request.instanceMarketOptions()).as("on demand").isNull();
  }

  @Test
  void onTheSpotMarketAsAOneTimeRequestThatEndsInTermination() {
    RunInstancesRequest request = NewAttempt.like(PREVIOUS, null, true);

    assertThat(request.instanceMarketOptions().marketType()).isEqualTo(MarketType.SPOT);
    assertThat(request.instanceMarketOptions().spotOptions().spotInstanceTypeAsString()).isEqualTo("one-time");
    assertThat(request.instanceMarketOptions().spotOptions().instanceInterruptionBehaviorAsString())
        .isEqualTo("terminate");
    assertThat(request.userData()).isNull();
  }

  @Test
  void theNewInstancesResultsGoBesideTheEarlierOnesInTheRunsFolder() {
    ResultFolder earlier = new ResultFolder("logs", "runs/demo/demo-20261202-101500-3fa9/i-0123456789abcdef0/");

    assertThat(LocalLaunch.runFolder(earlier))
        .isEqualTo(new ResultFolder("logs", "runs/demo/demo-20261202-101500-3fa9/"));
    assertThat(LocalLaunch.runFolder(new ResultFolder("logs", "run-1/i-1/")))
        .isEqualTo(new ResultFolder("logs", "run-1/"));
  }

  private static Tag tag(String key, String value) {
    return Tag.builder().key(key).value(value).build();
  }
}
