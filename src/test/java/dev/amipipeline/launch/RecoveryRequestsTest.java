package dev.amipipeline.launch;

import static dev.amipipeline.launch.LaunchFixtures.NOW;
import static dev.amipipeline.launch.LaunchFixtures.project;
import static dev.amipipeline.launch.LaunchFixtures.recoveringPlan;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.amipipeline.common.AmiException;
import dev.amipipeline.project.Project;
import dev.amipipeline.project.ProjectSpec;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import software.amazon.awssdk.services.ec2.model.CreateFleetRequest;
import software.amazon.awssdk.services.ec2.model.CreateLaunchTemplateVersionRequest;
import software.amazon.awssdk.services.ec2.model.DefaultTargetCapacityType;
import software.amazon.awssdk.services.ec2.model.FleetExcessCapacityTerminationPolicy;
import software.amazon.awssdk.services.ec2.model.FleetOnDemandAllocationStrategy;
import software.amazon.awssdk.services.ec2.model.FleetType;
import software.amazon.awssdk.services.ec2.model.LaunchTemplateHttpTokensState;
import software.amazon.awssdk.services.ec2.model.LaunchTemplateInstanceMetadataTagsState;
import software.amazon.awssdk.services.ec2.model.LaunchTemplateTagSpecificationRequest;
import software.amazon.awssdk.services.ec2.model.RequestLaunchTemplateData;
import software.amazon.awssdk.services.ec2.model.ResourceType;
import software.amazon.awssdk.services.ec2.model.SpotAllocationStrategy;
import software.amazon.awssdk.services.ec2.model.SpotInstanceInterruptionBehavior;

/**
 * A recovering run's requests, built without AWS and checked against what the EC2 API reference asks
 * of them, since moto accepts anything in CreateFleet and skips what AWS does: it keeps neither the
 * fleet's client token nor a launch template's metadata options for the fleet's instances, and it
 * would accept the instance tag specifications AWS refuses for maintain fleets ("If the fleet type is
 * maintain or request, … You cannot specify a resource type of instance. To tag instances at launch,
 * specify the tags in a launch template", CreateFleet, TagSpecifications).
 */
class RecoveryRequestsTest {

  private static final Project ML = project("ml", "ubuntu", """
      {"instanceTypes": ["g5.xlarge", "g6.xlarge"], "spot": true,
       "subnets": ["subnet-0aaa1111", "subnet-0bbb2222"], "securityGroups": ["sg-0ccc3333"],
       "iamInstanceProfile": "ami-pipeline-ml",
       "recover": {"maxAttempts": 4, "onDemandAfter": 2}}""");

  private static final Recovery FOUR_ATTEMPTS = new Recovery(4, 2, NOW.plus(Duration.ofHours(6)), "4 attempts");

  @Test
  void theFleetIsMaintainUntilTheCostCeilingOverEveryTypeAndSubnetFromTheRunsTemplateVersion() {
    LaunchPlan plan = recoveringPlan(ML, LaunchFixtures.spot(new BigDecimal("0.75"), false), FOUR_ATTEMPTS);

    CreateFleetRequest fleet = Ec2Requests.createRecoveringFleet(plan, "lt-0abc", "7", false);

    assertThat(fleet.type()).isEqualTo(FleetType.MAINTAIN);
    assertThat(fleet.validUntil()).isEqualTo(NOW.plus(Duration.ofHours(6)));
    // At ValidUntil EC2 also terminates what still runs: the ceiling holds whatever else fails.
    assertThat(fleet.terminateInstancesWithExpiration()).isTrue();
    assertThat(fleet.replaceUnhealthyInstances()).isTrue();
    assertThat(fleet.excessCapacityTerminationPolicy()).isEqualTo(FleetExcessCapacityTerminationPolicy.TERMINATION);
    assertThat(fleet.clientToken()).as("a retried request makes one fleet").isEqualTo("ml-20250304-050607-3fa9");
    assertThat(fleet.launchTemplateConfigs()).singleElement().satisfies(c -> {
      assertThat(c.launchTemplateSpecification().launchTemplateId()).isEqualTo("lt-0abc");
      assertThat(c.launchTemplateSpecification().version()).as("the run's own version, never $Latest").isEqualTo("7");
      assertThat(c.overrides()).extracting(o -> o.instanceTypeAsString() + "@" + o.subnetId() + "<" + o.maxPrice())
          .containsExactly("g5.xlarge@subnet-0aaa1111<0.75", "g5.xlarge@subnet-0bbb2222<0.75",
              "g6.xlarge@subnet-0aaa1111<0.75", "g6.xlarge@subnet-0bbb2222<0.75");
    });
    assertThat(fleet.targetCapacitySpecification().totalTargetCapacity()).isEqualTo(1);
    assertThat(fleet.targetCapacitySpecification().defaultTargetCapacityType())
        .isEqualTo(DefaultTargetCapacityType.SPOT);
    assertThat(fleet.targetCapacitySpecification().spotTargetCapacity()).isEqualTo(1);
    assertThat(fleet.targetCapacitySpecification().onDemandTargetCapacity()).isNull();
    assertThat(fleet.spotOptions().allocationStrategy()).isEqualTo(SpotAllocationStrategy.CAPACITY_OPTIMIZED);
    assertThat(fleet.spotOptions().instanceInterruptionBehavior())
        .isEqualTo(SpotInstanceInterruptionBehavior.TERMINATE);
    // Set for the instance side's ModifyFleet to on demand after onDemandAfter interruptions.
    assertThat(fleet.onDemandOptions().allocationStrategy()).isEqualTo(FleetOnDemandAllocationStrategy.LOWEST_PRICE);
    assertThat(fleet.tagSpecifications()).singleElement().satisfies(spec -> {
      assertThat(spec.resourceType()).isEqualTo(ResourceType.FLEET);
      assertThat(spec.tags()).extracting(t -> t.key() + "=" + t.value()).containsExactly("ami-pipeline:project=ml",
          "ami-pipeline:run=ml-20250304-050607-3fa9", "Name=ml-20250304-050607");
    });
    assertThat(fleet.dryRun()).isFalse();
  }

  @Test
  void anOnDemandRunOfThreeNodesKeepsThreeOnDemandInstances() {
    Project demo = project("demo", "ubuntu", """
        {"instanceTypes": ["t3.micro"], "recover": {}}""");
    LaunchPlan plan = recoveringPlan(demo, new LaunchOptions(null, null, false, List.of(), List.of(), null, null, null,
        3, null), new Recovery(5, null, NOW.plus(Duration.ofHours(1)), "--max-hours 1"));

    CreateFleetRequest fleet = Ec2Requests.createRecoveringFleet(plan, "lt-0abc", "2", true);

    assertThat(fleet.targetCapacitySpecification().totalTargetCapacity()).isEqualTo(3);
    assertThat(fleet.targetCapacitySpecification().defaultTargetCapacityType())
        .isEqualTo(DefaultTargetCapacityType.ON_DEMAND);
    assertThat(fleet.targetCapacitySpecification().onDemandTargetCapacity()).isEqualTo(3);
    assertThat(fleet.targetCapacitySpecification().spotTargetCapacity()).isNull();
    assertThat(fleet.launchTemplateConfigs().get(0).overrides()).extracting(o -> o.instanceTypeAsString()
        + "@" + o.subnetId() + "<" + o.maxPrice()).containsExactly("t3.micro@null<null");
    assertThat(fleet.dryRun()).isTrue();
  }

  /**
   * The run's template version: the image as the SSM parameter names it (each replacement starts from
   * it), the contract's metadata options with instance tags readable (moto does not apply a template's
   * metadata options to fleet instances: checked here), no market (the fleet decides), and the tags
   * the instance side reads: run, attempts, on-demand switch, nodes.
   */
  @Test
  void theRunsTemplateVersionCarriesTheRecoveryTagsAndMetadataButNoMarketOrType() {
    LaunchPlan plan = recoveringPlan(ML, LaunchFixtures.spot(null, false), FOUR_ATTEMPTS);

    CreateLaunchTemplateVersionRequest version = Ec2Requests.createRunTemplateVersion("lt-0abc", plan, false);
    RequestLaunchTemplateData data = version.launchTemplateData();

    assertThat(version.launchTemplateId()).isEqualTo("lt-0abc");
    assertThat(version.versionDescription()).isEqualTo("run ml-20250304-050607-3fa9");
    assertThat(data.imageId()).isEqualTo("resolve:ssm:/ami-pipeline/ml/ami-id");
    assertThat(data.instanceType()).isNull();
    assertThat(data.instanceMarketOptions()).isNull();
    assertThat(data.metadataOptions().httpTokens()).isEqualTo(LaunchTemplateHttpTokensState.REQUIRED);
    assertThat(data.metadataOptions().httpPutResponseHopLimit()).isEqualTo(2);
    assertThat(data.metadataOptions().instanceMetadataTags()).isEqualTo(LaunchTemplateInstanceMetadataTagsState.ENABLED);
    assertThat(data.iamInstanceProfile().name()).isEqualTo("ami-pipeline-ml");
    assertThat(data.securityGroupIds()).containsExactly("sg-0ccc3333");
    assertThat(data.tagSpecifications()).extracting(LaunchTemplateTagSpecificationRequest::resourceType)
        .containsExactly(ResourceType.INSTANCE, ResourceType.VOLUME);
    assertThat(data.tagSpecifications()).allSatisfy(spec -> assertThat(spec.tags())
        .extracting(t -> t.key() + "=" + t.value())
        .containsExactly("ami-pipeline:project=ml", "Name=ml-20250304-050607", "ami-pipeline:run=ml-20250304-050607-3fa9",
            "ami-pipeline:max-attempts=4", "ami-pipeline:on-demand-after=2"));
  }

  @Test
  void aMultiNodeRunsVersionSaysHowManyNodesAndNoOnDemandSwitchWhenThereIsNone() {
    Project demo = project("demo", "ubuntu", """
        {"instanceTypes": ["t3.micro"]}""");
    LaunchPlan plan = recoveringPlan(demo, new LaunchOptions(true, null, false, List.of(), List.of(), null, null, null,
        2, null), new Recovery(5, null, NOW.plusSeconds(60), "--max-hours 0.02"));

    RequestLaunchTemplateData data = Ec2Requests.createRunTemplateVersion("lt-1", plan, false).launchTemplateData();

    assertThat(data.tagSpecifications().get(0).tags()).extracting(t -> t.key() + "=" + t.value())
        .containsExactly("ami-pipeline:project=demo", "Name=demo-20250304-050607",
            "ami-pipeline:run=demo-20250304-050607-3fa9", "ami-pipeline:nodes=2", "ami-pipeline:max-attempts=5");
    assertThat(plan.fleet()).as("not an instant fleet").isFalse();
  }

  /** Made when missing, the project's template is the one --template-only makes: no run in it. */
  @Test
  void theSharedTemplateOfARecoveringLaunchHasNoneOfTheRunsTags() {
    LaunchPlan shared = recoveringPlan(ML, LaunchFixtures.spot(null, false), FOUR_ATTEMPTS).shared();

    assertThat(shared.runId()).isNull();
    assertThat(shared.recovers()).isFalse();
    assertThat(shared.tags()).containsOnlyKeys("ami-pipeline:project", "Name");
    assertThat(Ec2Requests.templateData(shared, Ec2Requests.TemplateUse.STANDALONE).imageId())
        .isEqualTo("resolve:ssm:/ami-pipeline/ml/ami-id");
  }

  @Test
  void theCeilingIsEachAttemptsTimeoutAndMarginOrMaxHours() {
    ProjectSpec.Recover five = new ProjectSpec.Recover(null, 3);
    Instant now = Instant.parse("2026-12-02T10:15:00.700Z");

    Recovery byTimeout = Recovery.of(five, null, 60, now, "ml", "/ami-pipeline/ml/run");
    Recovery byHours = Recovery.of(five, new BigDecimal("1.5"), 60, now, "ml", "/ami-pipeline/ml/run");

    assertThat(byTimeout.validUntil()).isEqualTo(Instant.parse("2026-12-02T16:05:00Z")); // 5 × (60 + 10) min
    assertThat(byTimeout.ceiling()).isEqualTo("5 attempts × (timeoutMinutes 60 + 10)");
    assertThat(byTimeout.maxAttempts()).isEqualTo(5);
    assertThat(byTimeout.onDemandAfter()).isEqualTo(3);
    assertThat(byHours.validUntil()).isEqualTo(Instant.parse("2026-12-02T11:45:00Z"));
    assertThat(byHours.ceiling()).isEqualTo("--max-hours 1.5");
    assertThatThrownBy(() -> Recovery.of(five, null, 0, now, "ml", "/ami-pipeline/ml/run"))
        .isInstanceOf(AmiException.BadInput.class)
        .hasMessage("a recovering run needs a cost ceiling, and the run configuration of ml (/ami-pipeline/ml/run)"
            + " has no timeoutMinutes: give --max-hours H, or set run.timeoutMinutes in the project file and rebake");
  }

  @ParameterizedTest
  @ValueSource(strings = {"0", "-1", "banana", "", "0.0000001", "8761", "1e9"})
  void maxHoursMustBeAPositiveNumberOfHoursUpToAYear(String text) {
    assertThatThrownBy(() -> Recovery.parseMaxHours(text)).isInstanceOf(AmiException.BadInput.class)
        .hasMessageStartingWith("--max-hours must be a positive number of hours up to 8760");
  }

  @Test
  void maxHoursTakesDecimals() {
    assertThat(Recovery.parseMaxHours(" 0.25 ")).isEqualByComparingTo("0.25");
    assertThat(Recovery.parseMaxHours("12")).isEqualByComparingTo("12");
  }
}
