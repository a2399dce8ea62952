package dev.amipipeline.launch;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.amipipeline.common.Json;
import dev.amipipeline.testing.Cli;
import dev.amipipeline.testing.MotoServer;
import dev.amipipeline.testing.Shell;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.HttpTokensState;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.InstanceAttributeName;
import software.amazon.awssdk.services.ec2.model.InstanceLifecycleType;
import software.amazon.awssdk.services.ec2.model.Tag;
import software.amazon.awssdk.services.ec2.model.Volume;

class LaunchIT extends EmulatedAws {


  @Test
  void demoInstanceHasOneLineUserDataImdsV2TerminateOnShutdownAndContractTags(MotoServer moto) {
    String ami = Bakes.bake(aws, "demo");

    Cli.Result r = Cli.run(moto, "launch", "--project", "demo");

    assertThat(r.exitCode()).as(r.err()).isZero();
    Instance i = single();
    assertThat(r.out()).contains(i.instanceId(), ami);
    assertThat(i.imageId()).isEqualTo(ami);
    assertThat(i.instanceTypeAsString()).isEqualTo("t3.micro");
    assertThat(userData(i.instanceId())).isEqualTo("AMI_PROJECT=demo\n");
    assertThat(i.metadataOptions().httpTokens()).isEqualTo(HttpTokensState.REQUIRED);
    assertThat(i.metadataOptions().httpPutResponseHopLimit()).isEqualTo(2);
    assertThat(aws.ec2().describeInstanceAttribute(b -> b.instanceId(i.instanceId())
        .attribute(InstanceAttributeName.INSTANCE_INITIATED_SHUTDOWN_BEHAVIOR))
        .instanceInitiatedShutdownBehavior().value()).isEqualTo("terminate");
    assertThat(i.instanceLifecycle()).isNull(); // on demand: the demo project does not ask for spot
    assertThat(i.tags()).contains(tag("ami-pipeline:project", "demo"));
    assertThat(i.tags()).anySatisfy(t -> assertThat(t.key() + "=" + t.value()).matches("Name=demo-\\d{8}-\\d{6}"));
  }

  @Test
  void spotFlagStartsASpotInstance(MotoServer moto) {
    Bakes.bake(aws, "demo");

    Cli.Result r = Cli.run(moto, "launch", "--project", "demo", "--spot");

    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(single().instanceLifecycle()).isEqualTo(InstanceLifecycleType.SPOT);
    assertThat(r.out()).contains(" spot ");
  }

  @Test
  void basicPathMakesExactlyTwoAwsCalls(MotoServer moto) {
    Bakes.bake(aws, "demo");

    AwsCallLog.start();
    Cli.Result r = Cli.run(moto, "launch", "--project", "demo", "--spot");
    AwsCallLog.stop();

    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(AwsCallLog.calls()).containsExactly("Ssm:GetParameter", "Ec2:RunInstances");
  }

  @Test
  void theJarLaunchesWithEndpointRegionAndCredentialsFromTheEnvironment(MotoServer moto) {
    String ami = Bakes.bake(aws, "demo");

    Shell.Result r = Shell.ami(moto.environment(), "launch", "--project", "demo", "--spot", "--wait");

    assertThat(r.exitCode()).as(r.err()).isZero();
    Instance i = single();
    assertThat(i.imageId()).isEqualTo(ami);
    assertThat(r.out()).containsPattern(i.instanceId() + " +t3\\.micro +us-east-1[a-f] +spot +running");
  }

  @Test
  void amiVersionOneAfterTwoBakesLaunchesTheFirstAmi(MotoServer moto) {
    String first = Bakes.bake(aws, "demo");
    String second = Bakes.bake(aws, "demo");

    Cli.Result r = Cli.run(moto, "launch", "--project", "demo", "--ami-version", "1");

    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(first).isNotEqualTo(second);
    assertThat(single().imageId()).isEqualTo(first);
    assertThat(r.out()).contains("(ami-id version 1)");
  }

  @Test
  void mlLaunchUsesItsInstanceProfileSpotAndEncryptedTaggedRootVolume(MotoServer moto) {
    Bakes.createInstanceProfile(moto, "ami-pipeline-ml");
    Bakes.bake(aws, "ml");

    AwsCallLog.start();
    Cli.Result r = Cli.run(moto, "launch", "--project", "ml");
    AwsCallLog.stop();

    assertThat(r.exitCode()).as(r.err()).isZero();
    // ml asks for launch.gpus 24GB+:1: the chooser reads the types and their spot prices. The root
    // volume's size and device cost no DescribeImages.
    List<String> calls = AwsCallLog.calls();
    assertThat(calls).startsWith("Ssm:GetParameter", "Ec2:DescribeInstanceTypes").endsWith("Ec2:RunInstances")
        .containsOnly("Ssm:GetParameter", "Ec2:DescribeInstanceTypes", "Ec2:DescribeSpotPriceHistory",
            "Ec2:RunInstances");
    Instance i = single();
    assertThat(i.iamInstanceProfile().arn()).endsWith("instance-profile/ami-pipeline-ml");
    assertThat(i.instanceLifecycle()).isEqualTo(InstanceLifecycleType.SPOT); // ml's launch.spot
    // moto gives every type one spot price: the smallest type with one 24GB GPU (A10G or L4), by name.
    assertThat(i.instanceTypeAsString()).isEqualTo("g5.xlarge");
    assertThat(r.err()).contains("instance types with GPUs '24GB+:1' (x86_64)", "<- chosen");
    assertThat(userData(i.instanceId())).isEqualTo("AMI_PROJECT=ml\n");
    List<Volume> volumes = aws.ec2().describeVolumes(b -> b.filters(Filter.builder().name("attachment.instance-id")
        .values(i.instanceId()).build())).volumes();
    assertThat(volumes).singleElement().satisfies(v -> {
      assertThat(v.size()).isEqualTo(200);
      assertThat(v.encrypted()).isTrue();
      assertThat(v.attachments().get(0).device()).isEqualTo("/dev/sda1");
      assertThat(v.tags()).contains(tag("ami-pipeline:project", "ml"));
    });
  }

  @Test
  void flagsOverrideTheProjectsSubnetSecurityGroupKeyAndType(MotoServer moto) {
    Bakes.bake(aws, "demo");
    String subnet = aws.ec2().describeSubnets().subnets().get(1).subnetId();
    String group = aws.ec2().createSecurityGroup(b -> b.groupName("jobs").description("jobs")).groupId();
    aws.ec2().createKeyPair(b -> b.keyName("team"));

    Cli.Result r = Cli.run(moto, "launch", "--project", "demo", "--subnet", subnet, "--security-group", group,
        "--key-name", "team", "--instance-type", "m5.large");

    assertThat(r.exitCode()).as(r.err()).isZero();
    Instance i = single();
    assertThat(i.subnetId()).isEqualTo(subnet);
    assertThat(i.securityGroups()).extracting(g -> g.groupId()).containsExactly(group);
    assertThat(i.keyName()).isEqualTo("team");
    assertThat(i.instanceTypeAsString()).isEqualTo("m5.large");
  }

  @Test
  void waitPrintsTypeAzAndAddresses(MotoServer moto) {
    Bakes.bake(aws, "demo");

    Cli.Result r = Cli.run(moto, "launch", "--project", "demo", "--wait");

    assertThat(r.exitCode()).as(r.err()).isZero();
    Instance i = single();
    assertThat(r.out()).contains(i.instanceId(), "t3.micro", i.placement().availabilityZone(), "running",
        i.privateIpAddress());
  }

  @Test
  void jsonOutputIsOneObjectWithTheInstances(MotoServer moto) throws Exception {
    String ami = Bakes.bake(aws, "demo");

    Cli.Result r = Cli.run(moto, "launch", "--project", "demo", "--output", "json");

    assertThat(r.exitCode()).as(r.err()).isZero();
    JsonNode json = Json.STRICT.readTree(r.out());
    assertThat(json.path("amiId").asText()).isEqualTo(ami);
    assertThat(json.path("instances").get(0).path("instanceId").asText()).isEqualTo(single().instanceId());
    assertThat(json.path("instances").get(0).path("market").asText()).isEqualTo("on-demand");
  }

  @Test
  void dryRunPrintsTheDecodedRequestChecksItAndLaunchesNothing(MotoServer moto) {
    String ami = Bakes.bake(aws, "demo");

    Cli.Result r = Cli.run(moto, "launch", "--project", "demo", "--spot", "--dry-run");

    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.out()).contains("RunInstances -> DryRunOperation", "\"UserData\" : \"AMI_PROJECT=demo\\n\"",
        "\"HttpTokens\" : \"required\"", "\"MarketType\" : \"spot\"", "\"InstanceType\" : \"t3.micro\"", ami,
        "then tried in order: spot t3a.micro");
    assertThat(Bakes.instances(aws)).isEmpty();
  }

  @Test
  void missingBakeIsExitTwoTellingToBakeAndLaunchesNothing(MotoServer moto) {
    Cli.Result r = Cli.run(moto, "launch", "--project", "demo");

    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.errLines()).singleElement().asString()
        .contains("/ami-pipeline/demo/ami-id is missing", "run 'ami bake --project demo' first");
    assertThat(Bakes.instances(aws)).isEmpty();
  }

  @Test
  void missingAmiVersionIsExitTwo(MotoServer moto) {
    Bakes.bake(aws, "demo");

    Cli.Result r = Cli.run(moto, "launch", "--project", "demo", "--ami-version", "5");

    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.errLines()).singleElement().asString().contains("no version 5 of /ami-pipeline/demo/ami-id");
    assertThat(Bakes.instances(aws)).isEmpty();
  }

  @Test
  void unknownProjectIsExitTwoNamingTheKnownOnes(MotoServer moto) {
    AwsCallLog.start();
    Cli.Result r = Cli.run(moto, "launch", "--project", "nope");

    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.errLines()).singleElement().asString().contains("no project file", "nope.json", "demo, ml");
    assertThat(AwsCallLog.calls()).isEmpty();
  }

  @Test
  void instanceTypeWithCpuIsExitTwoBeforeAnyAwsCall(MotoServer moto) {
    Bakes.bake(aws, "demo");
    AwsCallLog.start();

    Cli.Result r = Cli.run(moto, "launch", "--project", "demo", "--instance-type", "t3.micro", "--cpu", "2",
        "--memory", "1024");

    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.errLines()).singleElement().asString().contains("--instance-type", "--cpu");
    assertThat(AwsCallLog.calls()).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "--follow --count 2|--follow streams one instance's log",
      "--max-price 0.5|--max-price applies to spot launches only",
      "--spot --max-price -1|--max-price must be a positive price",
      "--on-demand-fallback|--on-demand-fallback applies to spot",
      "--template-only --wait|--template-only only writes the launch template",
      "--dry-run --follow|--dry-run launches nothing",
      "--count 0|--count must be at least 1",
      "--ami-version 0|--ami-version must be 1 or more",
      "--list|--list prints the cheapest types for --cpu N --memory MIB",
      "--subnet subnet-zz|--subnet 'subnet-zz' is not a subnet id",
      "--root-device sda1|--root-device 'sda1' is not a device name",
      "--placement ring|Invalid value for option '--placement'"})
  void badCombinationsAreExitTwoOneLineAndNoAwsCall(String caseLine, MotoServer moto) {
    String[] parts = caseLine.split("\\|");
    List<String> args = new java.util.ArrayList<>(List.of("launch", "--project", "demo"));
    args.addAll(List.of(parts[0].split(" ")));
    AwsCallLog.start();

    Cli.Result r = Cli.run(moto, args.toArray(String[]::new));

    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.errLines()).singleElement().asString().contains(parts[1]);
    assertThat(AwsCallLog.calls()).isEmpty();
  }

  @Test
  void clusterPlacementOnAnEndpointWithoutPlacementGroupsFailsBeforeLaunching(MotoServer moto) {
    Bakes.bake(aws, "demo");
    System.setProperty("aws.maxAttempts", "1"); // the emulator answers 500 here; do not retry it
    try {
      Cli.Result r = Cli.run(moto, "launch", "--project", "demo", "--placement", "cluster");

      assertThat(r.exitCode()).isEqualTo(1);
      assertThat(r.errLines()).singleElement().asString().startsWith("ami: ");
      assertThat(Bakes.instances(aws)).isEmpty();
    } finally {
      System.clearProperty("aws.maxAttempts");
    }
  }

  private Instance single() {
    List<Instance> all = Bakes.instances(aws);
    assertThat(all).hasSize(1);
    return all.get(0);
  }

  private String userData(String instanceId) {
    String encoded = aws.ec2().describeInstanceAttribute(b -> b.instanceId(instanceId)
        .attribute(InstanceAttributeName.USER_DATA)).userData().value();
    return new String(Base64.getDecoder().decode(encoded), StandardCharsets.UTF_8);
  }

  static Tag tag(String key, String value) {
    return Tag.builder().key(key).value(value).build();
  }
}
