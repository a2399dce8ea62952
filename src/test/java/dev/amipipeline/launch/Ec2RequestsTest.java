package dev.amipipeline.launch;

import static dev.amipipeline.launch.LaunchFixtures.options;
import static dev.amipipeline.launch.LaunchFixtures.plan;
import static dev.amipipeline.launch.LaunchFixtures.project;
import static org.assertj.core.api.Assertions.assertThat;

import dev.amipipeline.project.Project;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.ec2.model.CreateFleetRequest;
import software.amazon.awssdk.services.ec2.model.DefaultTargetCapacityType;
import software.amazon.awssdk.services.ec2.model.FleetLaunchTemplateOverridesRequest;
import software.amazon.awssdk.services.ec2.model.FleetOnDemandAllocationStrategy;
import software.amazon.awssdk.services.ec2.model.FleetType;
import software.amazon.awssdk.services.ec2.model.HttpTokensState;
import software.amazon.awssdk.services.ec2.model.InstanceInterruptionBehavior;
import software.amazon.awssdk.services.ec2.model.LaunchTemplateHttpTokensState;
import software.amazon.awssdk.services.ec2.model.MarketType;
import software.amazon.awssdk.services.ec2.model.RequestLaunchTemplateData;
import software.amazon.awssdk.services.ec2.model.ResourceType;
import software.amazon.awssdk.services.ec2.model.RunInstancesRequest;
import software.amazon.awssdk.services.ec2.model.ShutdownBehavior;
import software.amazon.awssdk.services.ec2.model.SpotAllocationStrategy;
import software.amazon.awssdk.services.ec2.model.SpotInstanceType;
import software.amazon.awssdk.services.ec2.model.TagSpecification;

class Ec2RequestsTest {

  private static final Project ML = project("ml", "ubuntu", """
      {"instanceTypes": ["p3.2xlarge", "g5.xlarge"], "spot": true,
       "subnets": ["subnet-0aaa1111", "subnet-0bbb2222"], "securityGroups": ["sg-0ccc3333"],
       "iamInstanceProfile": "ami-pipeline-ml", "keyName": "team",
       "rootVolume": {"sizeGiB": 200},
       "extraVolumes": [{"device": "/dev/sdf", "sizeGiB": 500}]}""");

  private static final Project DEMO = project("demo", "ubuntu", """
      {"instanceTypes": ["t3.micro", "t3a.micro"]}""");

  @Test
  void runInstancesCarriesTheContract() {
    LaunchPlan plan = plan(ML, LaunchFixtures.spot(new BigDecimal("0.90"), false));
    RunInstancesRequest run = Ec2Requests.runInstances(plan, plan.attempts().get(1), false);

    assertThat(decode(run.userData())).isEqualTo("AMI_PROJECT=ml\n");
    assertThat(run.imageId()).isEqualTo(LaunchFixtures.AMI);
    assertThat(run.instanceTypeAsString()).isEqualTo("p3.2xlarge");
    assertThat(run.subnetId()).isEqualTo("subnet-0bbb2222");
    assertThat(run.minCount()).isEqualTo(1);
    assertThat(run.maxCount()).isEqualTo(1);
    assertThat(run.metadataOptions().httpTokens()).isEqualTo(HttpTokensState.REQUIRED);
    assertThat(run.metadataOptions().httpPutResponseHopLimit()).isEqualTo(2);
    assertThat(run.instanceInitiatedShutdownBehavior()).isEqualTo(ShutdownBehavior.TERMINATE);
    assertThat(run.iamInstanceProfile().name()).isEqualTo("ami-pipeline-ml");
    assertThat(run.keyName()).isEqualTo("team");
    assertThat(run.securityGroupIds()).containsExactly("sg-0ccc3333");
    assertThat(run.instanceMarketOptions().marketType()).isEqualTo(MarketType.SPOT);
    assertThat(run.instanceMarketOptions().spotOptions().spotInstanceType()).isEqualTo(SpotInstanceType.ONE_TIME);
    assertThat(run.instanceMarketOptions().spotOptions().instanceInterruptionBehavior())
        .isEqualTo(InstanceInterruptionBehavior.TERMINATE);
    assertThat(run.instanceMarketOptions().spotOptions().maxPrice()).isEqualTo("0.90");
    assertThat(run.blockDeviceMappings()).allSatisfy(m -> assertThat(m.ebs().encrypted()).isTrue());
    assertThat(run.blockDeviceMappings()).extracting(m -> m.deviceName() + "=" + m.ebs().volumeSize())
        .containsExactly("/dev/sda1=200", "/dev/sdf=500");
    assertThat(run.tagSpecifications()).extracting(TagSpecification::resourceType)
        .containsExactly(ResourceType.INSTANCE, ResourceType.VOLUME, ResourceType.SPOT_INSTANCES_REQUEST);
    assertThat(run.tagSpecifications().get(0).tags()).extracting(t -> t.key() + "=" + t.value())
        .containsExactly("ami-pipeline:project=ml", "Name=ml-20250304-050607");
    assertThat(run.dryRun()).isFalse();
  }

  @Test
  void onDemandRequestHasNoMarketOptionsAndOnlyWhatTheProjectSets() {
    LaunchPlan plan = plan(DEMO, options());
    RunInstancesRequest run = Ec2Requests.runInstances(plan, plan.attempts().get(0), true);
    assertThat(run.instanceMarketOptions()).isNull();
    assertThat(run.subnetId()).isNull();
    assertThat(run.iamInstanceProfile()).isNull();
    assertThat(run.hasBlockDeviceMappings()).isFalse();
    assertThat(run.hasSecurityGroupIds()).isFalse();
    assertThat(run.tagSpecifications()).extracting(TagSpecification::resourceType)
        .containsExactly(ResourceType.INSTANCE, ResourceType.VOLUME);
    assertThat(run.dryRun()).isTrue();
  }

  @Test
  void standaloneTemplateFollowsTheSsmParameterAndCarriesTheSameContract() {
    LaunchPlan plan = plan(ML, options());
    RequestLaunchTemplateData data = Ec2Requests.templateData(plan, Ec2Requests.TemplateUse.STANDALONE);
    assertThat(data.imageId()).isEqualTo("resolve:ssm:/ami-pipeline/ml/ami-id");
    assertThat(decode(data.userData())).isEqualTo("AMI_PROJECT=ml\n");
    assertThat(data.metadataOptions().httpTokens()).isEqualTo(LaunchTemplateHttpTokensState.REQUIRED);
    assertThat(data.metadataOptions().httpPutResponseHopLimit()).isEqualTo(2);
    assertThat(data.instanceInitiatedShutdownBehavior()).isEqualTo(ShutdownBehavior.TERMINATE);
    assertThat(data.instanceTypeAsString()).isEqualTo("p3.2xlarge");
    assertThat(data.instanceMarketOptions().marketType()).isEqualTo(MarketType.SPOT);
    assertThat(data.iamInstanceProfile().name()).isEqualTo("ami-pipeline-ml");
    assertThat(data.blockDeviceMappings()).allSatisfy(m -> assertThat(m.ebs().encrypted()).isTrue());
    assertThat(data.tagSpecifications()).extracting(t -> t.resourceType())
        .containsExactly(ResourceType.INSTANCE, ResourceType.VOLUME);
  }

  @Test
  void fleetTemplateNamesTheReadAmiAndLeavesTypeAndMarketToTheFleet() {
    LaunchPlan plan = plan(ML, options());
    RequestLaunchTemplateData data = Ec2Requests.templateData(plan, Ec2Requests.TemplateUse.FLEET);
    assertThat(data.imageId()).isEqualTo(LaunchFixtures.AMI);
    assertThat(data.instanceType()).isNull();
    assertThat(data.instanceMarketOptions()).isNull();
    assertThat(decode(data.userData())).isEqualTo("AMI_PROJECT=ml\n");
  }

  @Test
  void spotFleetIsInstantCapacityOptimizedOverEveryTypeAndSubnet() {
    LaunchPlan plan = plan(ML, new LaunchOptions(null, new BigDecimal("2"), false, List.of(), List.of(), null, null,
        null, 4, null));
    CreateFleetRequest fleet = Ec2Requests.createFleet(plan, "lt-1", plan.market(), 4, false);
    assertThat(fleet.type()).isEqualTo(FleetType.INSTANT);
    assertThat(fleet.targetCapacitySpecification().totalTargetCapacity()).isEqualTo(4);
    assertThat(fleet.targetCapacitySpecification().defaultTargetCapacityType()).isEqualTo(DefaultTargetCapacityType.SPOT);
    assertThat(fleet.spotOptions().allocationStrategy()).isEqualTo(SpotAllocationStrategy.CAPACITY_OPTIMIZED);
    assertThat(fleet.spotOptions().singleAvailabilityZone()).isNull();
    assertThat(fleet.onDemandOptions()).isNull();
    assertThat(fleet.launchTemplateConfigs()).singleElement()
        .satisfies(c -> assertThat(c.launchTemplateSpecification().launchTemplateId()).isEqualTo("lt-1"));
    List<FleetLaunchTemplateOverridesRequest> overrides = fleet.launchTemplateConfigs().get(0).overrides();
    assertThat(overrides).extracting(o -> o.instanceTypeAsString() + "@" + o.subnetId() + "<" + o.maxPrice())
        .containsExactly("p3.2xlarge@subnet-0aaa1111<2", "p3.2xlarge@subnet-0bbb2222<2",
            "g5.xlarge@subnet-0aaa1111<2", "g5.xlarge@subnet-0bbb2222<2");
  }

  /** A project asking for GPUs: the chooser's types, cheapest first, are a fleet's overrides and the fallback order. */
  @Test
  void theChosenGpuTypesAreTheFleetsOverridesAndTheSingleInstanceFallback() {
    Project gpus = project("ml", "ubuntu", """
        {"gpus": "24GB+:1", "spot": true, "subnets": ["subnet-0aaa1111", "subnet-0bbb2222"]}""");
    LaunchOptions four = new LaunchOptions(null, null, false, List.of(), List.of(), null, null, null, 4, null);
    TypeChooser.Requirement need = new TypeChooser.Requirement(0, 0,
        LaunchFixtures.request(gpus, four).gpuSpec(gpus), "x86_64");
    List<String> chosen = TypeChooser.choose(TypeChooserTest.GPU_TYPES, need, TypeChooserTest.SPOT,
        TypeChooser.TABLE_SIZE).typesInOrder();
    LaunchPlan plan = LaunchPlanner.plan(gpus, four, chosen, LaunchFixtures.AMI, "/ami-pipeline/ml/ami-id",
        LaunchFixtures.NOW);

    CreateFleetRequest fleet = Ec2Requests.createFleet(plan, "lt-3", plan.market(), 4, false);

    assertThat(chosen).containsExactly("g6.xlarge", "g5.xlarge", "g6.2xlarge", "g5.2xlarge", "g6e.xlarge",
        "g7e.2xlarge");
    assertThat(fleet.targetCapacitySpecification().defaultTargetCapacityType())
        .isEqualTo(DefaultTargetCapacityType.SPOT);
    assertThat(fleet.launchTemplateConfigs().get(0).overrides())
        .extracting(o -> o.instanceTypeAsString() + "@" + o.subnetId())
        .containsExactlyElementsOf(chosen.stream()
            .flatMap(t -> Stream.of(t + "@subnet-0aaa1111", t + "@subnet-0bbb2222")).toList());
    assertThat(plan.attempts()).extracting(LaunchPlan.Attempt::instanceType).startsWith("g6.xlarge", "g6.xlarge",
        "g5.xlarge", "g5.xlarge", "g6.2xlarge");
  }

  @Test
  void onDemandFleetIsLowestPriceAndClusterPlacementKeepsOneAz() {
    LaunchPlan plan = plan(DEMO, new LaunchOptions(null, null, false, List.of(), List.of(), null, null, null, 3,
        Placement.cluster));
    CreateFleetRequest fleet = Ec2Requests.createFleet(plan, "lt-2", plan.market(), 3, false);
    assertThat(fleet.onDemandOptions().allocationStrategy()).isEqualTo(FleetOnDemandAllocationStrategy.LOWEST_PRICE);
    assertThat(fleet.onDemandOptions().singleAvailabilityZone()).isTrue();
    assertThat(fleet.spotOptions()).isNull();
    assertThat(fleet.targetCapacitySpecification().defaultTargetCapacityType())
        .isEqualTo(DefaultTargetCapacityType.ON_DEMAND);
    assertThat(fleet.launchTemplateConfigs().get(0).overrides()).extracting(o -> o.instanceTypeAsString())
        .containsExactly("t3.micro", "t3a.micro");
    assertThat(Ec2Requests.templateData(plan, Ec2Requests.TemplateUse.FLEET).placement().groupName())
        .isEqualTo("ami-pipeline-demo-cluster");
  }

  @Test
  void dryRunViewShowsTheUserDataDecodedAndTheMarket() {
    LaunchPlan plan = plan(ML, options());
    Map<String, Object> view = RequestView.of(Ec2Requests.runInstances(plan, plan.attempts().get(0), true));
    assertThat(view).containsEntry("UserData", "AMI_PROJECT=ml\n").containsEntry("DryRun", true)
        .containsEntry("InstanceType", "p3.2xlarge").containsEntry("InstanceInitiatedShutdownBehavior", "terminate");
    assertThat(view.get("InstanceMarketOptions").toString()).contains("MarketType=spot", "SpotInstanceType=one-time");
    assertThat(view.get("MetadataOptions")).isEqualTo(
        Map.of("HttpTokens", "required", "HttpPutResponseHopLimit", 2, "HttpEndpoint", "enabled"));
  }

  private static String decode(String base64) {
    return new String(Base64.getDecoder().decode(base64), StandardCharsets.US_ASCII);
  }
}
