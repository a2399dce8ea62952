package dev.amipipeline.local;

import static org.assertj.core.api.Assertions.assertThat;

import dev.amipipeline.results.ExitStatus;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.LaunchTemplateInstanceMetadataOptions;
import software.amazon.awssdk.services.ec2.model.MarketType;
import software.amazon.awssdk.services.ec2.model.RunInstancesRequest;

/** What EC2's maintain fleet does after an attempt of a recovering run, as the local runtime plays it. */
class FleetReplacementTest {

  static final Instant NOW = Instant.parse("2026-12-02T10:30:00Z");
  static final Map<String, String> RECOVERING = Map.of("ami-pipeline:run", "demo-20261202-101500-3fa9",
      "ami-pipeline:max-attempts", "3", "ami-pipeline:on-demand-after", "2");
  static final LaunchTemplateInstanceMetadataOptions METADATA = LaunchTemplateInstanceMetadataOptions.builder()
      .httpTokens("required").httpPutResponseHopLimit(2).httpEndpoint("enabled").instanceMetadataTags("enabled")
      .build();
  static final FleetReplacement.Fleet SPOT_FLEET = fleet("active", true, NOW.plusSeconds(3600));

  @Test
  void aSpotInterruptedAttemptIsReplacedInTheFleetsMarketUntilOnDemandAfterIsReached() {
    assertThat(FleetReplacement.afterAttempt(ended("spot-interruption", 1), RECOVERING, SPOT_FLEET, NOW))
        .isEqualTo(new FleetReplacement.Replace(true));
    assertThat(FleetReplacement.afterAttempt(ended("spot-interruption", 2), RECOVERING, SPOT_FLEET, NOW))
        .as("attempt 2 reached onDemandAfter 2: ModifyFleet's effect").isEqualTo(new FleetReplacement.Replace(false));
    assertThat(FleetReplacement.afterAttempt(ended("spot-interruption", 5), RECOVERING, SPOT_FLEET, NOW))
        .isEqualTo(new FleetReplacement.Replace(false));
    Map<String, String> never = Map.of("ami-pipeline:run", "r", "ami-pipeline:max-attempts", "3");
    assertThat(FleetReplacement.afterAttempt(ended("spot-interruption", 4), never, SPOT_FLEET, NOW))
        .as("no onDemandAfter: never").isEqualTo(new FleetReplacement.Replace(true));
    assertThat(FleetReplacement.afterAttempt(ended("spot-interruption", 1), RECOVERING,
        fleet("active", false, null), NOW)).as("an on-demand fleet").isEqualTo(new FleetReplacement.Replace(false));
  }

  @Test
  void anyOtherEndAGoneOrExpiredFleetOrARunThatDoesNotRecoverStopsTheAttempts() {
    assertThat(stop(ended("exited", 2), RECOVERING, SPOT_FLEET)).contains("ended the run (exited)");
    assertThat(stop(ended("gave-up", 4), RECOVERING, SPOT_FLEET)).contains("(gave-up)");
    assertThat(stop(ended("cancelled", 1), RECOVERING, SPOT_FLEET)).contains("(cancelled)");
    assertThat(stop(null, RECOVERING, SPOT_FLEET)).contains("no exit status");
    assertThat(stop(ended("spot-interruption", 1), RECOVERING, fleet("deleted_running", true, null)))
        .contains("is deleted_running");
    assertThat(stop(ended("spot-interruption", 1), RECOVERING, fleet("deleted_terminating", true, null)))
        .contains("is deleted_terminating");
    assertThat(stop(ended("spot-interruption", 1), RECOVERING, fleet("active", true, NOW)))
        .contains("expired at " + NOW + " (ValidUntil)");
    assertThat(stop(ended("spot-interruption", 1), RECOVERING, null)).contains("no fleet");
    assertThat(stop(ended("spot-interruption", 1), Map.of("ami-pipeline:run", "r"), SPOT_FLEET))
        .contains("does not recover");
  }

  @Test
  void theReplacementComesFromTheFleetsTemplateVersionWithTheResolvedImageAndTheTemplatesMetadataOptions() {
    Instance previous = Instance.builder().instanceId("i-0123456789abcdef0").instanceType("t3a.micro")
        .subnetId("subnet-2").build();

    RunInstancesRequest spot = NewAttempt.fromFleet(SPOT_FLEET, "ami-0abc", previous, true);
    RunInstancesRequest onDemand = NewAttempt.fromFleet(SPOT_FLEET, "ami-0abc", previous, false);

    assertThat(spot.launchTemplate().launchTemplateId()).isEqualTo("lt-0123");
    assertThat(spot.launchTemplate().version()).isEqualTo("7");
    assertThat(spot.imageId()).as("EC2 resolves resolve:ssm: at launch; moto does not").isEqualTo("ami-0abc");
    assertThat(spot.instanceTypeAsString()).isEqualTo("t3a.micro");
    assertThat(spot.subnetId()).isEqualTo("subnet-2");
    assertThat(spot.metadataOptions().instanceMetadataTagsAsString()).isEqualTo("enabled");
    assertThat(spot.metadataOptions().httpTokensAsString()).isEqualTo("required");
    assertThat(spot.metadataOptions().httpPutResponseHopLimit()).isEqualTo(2);
    assertThat(spot.tagSpecifications()).as("the template's instance tags carry the run").isEmpty();
    assertThat(spot.instanceMarketOptions().marketType()).isEqualTo(MarketType.SPOT);
    assertThat(onDemand.instanceMarketOptions()).isNull();
  }

  @Test
  void anImageFromSsmNamesItsParameterAndTheTemplateSaysWhetherTagsAreInTheMetadata() {
    assertThat(FleetReplacement.ssmParameter("resolve:ssm:/ami-pipeline/demo/ami-id"))
        .hasValue("/ami-pipeline/demo/ami-id");
    assertThat(FleetReplacement.ssmParameter("resolve:ssm:/ami-pipeline/demo/ami-id:3"))
        .hasValue("/ami-pipeline/demo/ami-id:3");
    assertThat(FleetReplacement.ssmParameter("ami-0abc")).isEmpty();
    assertThat(FleetReplacement.ssmParameter("resolve:ssm:")).isEmpty();
    assertThat(SPOT_FLEET.metadataTags()).isTrue();
    assertThat(new FleetReplacement.Fleet("fleet-1", "active", "lt-1", "1", true, null, true, "ami-1", null)
        .metadataTags()).isFalse();
  }

  private static String stop(ExitStatus ended, Map<String, String> tags, FleetReplacement.Fleet fleet) {
    FleetReplacement.Next next = FleetReplacement.afterAttempt(ended, tags, fleet, NOW);
    assertThat(next).isInstanceOf(FleetReplacement.Stop.class);
    return ((FleetReplacement.Stop) next).why();
  }

  private static ExitStatus ended(String reason, int attempt) {
    return new ExitStatus(143, reason, null, null, "i-0123456789abcdef0", "ami-0abc", "demo-20261202-101500-3fa9",
        attempt, "t3.micro");
  }

  private static FleetReplacement.Fleet fleet(String state, boolean spot, Instant validUntil) {
    return new FleetReplacement.Fleet("fleet-1b2c3d4e-5f60-7182-93a4-b5c6d7e8f901", state, "lt-0123", "7", spot,
        validUntil, true, "resolve:ssm:/ami-pipeline/demo/ami-id", METADATA);
  }
}
