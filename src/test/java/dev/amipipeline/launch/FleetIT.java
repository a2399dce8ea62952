package dev.amipipeline.launch;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.amipipeline.common.Json;
import dev.amipipeline.testing.Cli;
import dev.amipipeline.testing.MotoServer;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.InstanceAttributeName;

class FleetIT extends EmulatedAws {


  @Test
  void countThreeGoesThroughCreateFleetAndReturnsThreeInstances(MotoServer moto) throws Exception {
    String ami = Bakes.bake(aws, "demo");

    AwsCallLog.start();
    Cli.Result r = Cli.run(moto, "launch", "--project", "demo", "--count", "3", "--output", "json");
    AwsCallLog.stop();

    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(AwsCallLog.calls()).contains("Ec2:CreateFleet").doesNotContain("Ec2:RunInstances");
    List<Instance> instances = Bakes.instances(aws);
    JsonNode json = Json.STRICT.readTree(r.out());
    String run = json.path("runId").asText();
    assertThat(run).matches("demo-\\d{8}-\\d{6}-[0-9a-f]{4}");
    assertThat(instances).hasSize(3).allSatisfy(i -> {
      assertThat(i.imageId()).isEqualTo(ami);
      assertThat(i.tags()).contains(LaunchIT.tag("ami-pipeline:project", "demo"), LaunchIT.tag("ami-pipeline:run", run),
          LaunchIT.tag("ami-pipeline:nodes", "3"));
      assertThat(aws.ec2().describeVolumes(b -> b.filters(Filter.builder().name("attachment.instance-id")
          .values(i.instanceId()).build())).volumes())
          .isNotEmpty().allSatisfy(v -> assertThat(v.tags()).contains(LaunchIT.tag("ami-pipeline:run", run)));
      assertThat(i.instanceTypeAsString()).isIn("t3.micro", "t3a.micro");
      String userData = aws.ec2().describeInstanceAttribute(b -> b.instanceId(i.instanceId())
          .attribute(InstanceAttributeName.USER_DATA)).userData().value();
      assertThat(new String(Base64.getDecoder().decode(userData), StandardCharsets.UTF_8)).isEqualTo("AMI_PROJECT=demo\n");
    });
    assertThat(json.path("fleetId").asText()).startsWith("fleet-");
    assertThat(aws.ec2().describeFleets(b -> b.fleetIds(json.path("fleetId").asText())).fleets()).singleElement()
        .satisfies(f -> assertThat(f.tags()).contains(LaunchIT.tag("ami-pipeline:project", "demo"),
            LaunchIT.tag("ami-pipeline:run", run)));
    assertThat(json.path("requested").asInt()).isEqualTo(3);
    assertThat(json.path("instances")).hasSize(3);
    assertThat(json.path("instances").findValuesAsText("instanceId"))
        .containsExactlyInAnyOrderElementsOf(instances.stream().map(Instance::instanceId).toList());
    assertThat(json.path("instances").findValuesAsText("availabilityZone")).allMatch(az -> az.startsWith("us-east-1"));
    // The fleet's launch template lived only for the launch.
    assertThat(aws.ec2().describeLaunchTemplates().launchTemplates()).isEmpty();
  }

  @Test
  void spotFleetWaitsAndPrintsEachInstanceRunning(MotoServer moto) {
    Bakes.bake(aws, "demo");

    Cli.Result r = Cli.run(moto, "launch", "--project", "demo", "--count", "2", "--spot", "--wait");

    assertThat(r.exitCode()).as(r.err()).isZero();
    List<Instance> instances = Bakes.instances(aws);
    assertThat(instances).hasSize(2);
    assertThat(r.out()).contains("2 of 2 instances", "via EC2 Fleet fleet-");
    for (Instance i : instances) {
      assertThat(r.out()).containsPattern(i.instanceId() + " +t3a?\\.micro +us-east-1[a-f] +spot +running");
    }
  }

  @Test
  void fleetDryRunChecksTheTemplateAndShowsTheFleetWithoutCreatingAnything(MotoServer moto) {
    Bakes.bake(aws, "demo");

    Cli.Result r = Cli.run(moto, "launch", "--project", "demo", "--count", "4", "--spot", "--dry-run");

    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.out()).contains("CreateLaunchTemplate -> DryRunOperation", "CreateFleet (not sent)",
        "\"AllocationStrategy\" : \"capacity-optimized\"", "\"TotalTargetCapacity\" : 4", "\"Type\" : \"instant\"",
        "\"UserData\" : \"AMI_PROJECT=demo\\n\"");
    assertThat(Bakes.instances(aws)).isEmpty();
    assertThat(aws.ec2().describeLaunchTemplates().launchTemplates()).isEmpty();
  }
}
