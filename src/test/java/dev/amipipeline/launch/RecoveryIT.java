package dev.amipipeline.launch;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.amipipeline.common.Json;
import dev.amipipeline.runs.InstanceSide;
import dev.amipipeline.testing.Await;
import dev.amipipeline.testing.Cli;
import dev.amipipeline.testing.EmulatorState;
import dev.amipipeline.testing.MotoServer;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.ec2.model.FleetData;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.LaunchTemplateVersion;
import software.amazon.awssdk.services.ec2.model.Tag;

/**
 * {@code ami launch --recover} against the emulator. moto keeps a maintain fleet and starts its first
 * instances from the run's template version (with that version's tags), but it neither applies the
 * version's metadata options to them nor replaces an interrupted one: the request data is checked in
 * RecoveryRequestsTest, and here the test plays EC2 Fleet's replacement (RunInstances from the run's
 * template version, as the fleet launches it) and the instance side's results ({@link InstanceSide}).
 */
class RecoveryIT extends EmulatedAws {

  private static final String BUCKET = "ami-pipeline-demo-logs"; // demo's run.logUri: s3://ami-pipeline-demo-logs/runs

  @Test
  void aRecoveringLaunchMakesTheRunsTemplateVersionAndAMaintainFleetUntilTheCostCeiling(MotoServer moto)
      throws Exception {
    String ami = Bakes.bake(aws, "demo"); // demo's run configuration: timeoutMinutes 10
    Instant before = Instant.now().truncatedTo(ChronoUnit.SECONDS);

    AwsCallLog.start();
    Cli.Result r = Cli.run(moto, "launch", "--project", "demo", "--spot", "--recover");
    AwsCallLog.stop();

    assertThat(r.exitCode()).as(r.err()).isZero();
    String run = r.out().lines().findFirst().orElseThrow().substring("run ".length());
    FleetData fleet = aws.ec2().describeFleets().fleets().get(0);
    assertThat(aws.ec2().describeFleets().fleets()).hasSize(1);
    assertThat(fleet.typeAsString()).isEqualTo("maintain");
    assertThat(fleet.fleetStateAsString()).isEqualTo("active");
    assertThat(fleet.tags()).extracting(t -> t.key() + "=" + t.value()).containsExactlyInAnyOrder(
        "ami-pipeline:project=demo", "ami-pipeline:run=" + run, "Name=" + run.substring(0, run.length() - 5));
    // 5 attempts × (10 minutes of timeout + 10 of margin)
    assertThat(fleet.validUntil()).isBetween(before.plus(Duration.ofMinutes(100)),
        Instant.now().plus(Duration.ofMinutes(100)));
    assertThat(fleet.terminateInstancesWithExpiration()).isTrue();
    assertThat(fleet.targetCapacitySpecification().totalTargetCapacity()).isEqualTo(1);
    assertThat(fleet.targetCapacitySpecification().defaultTargetCapacityTypeAsString()).isEqualTo("spot");

    var template = aws.ec2().describeLaunchTemplates().launchTemplates().get(0);
    assertThat(template.launchTemplateName()).isEqualTo("ami-pipeline-demo");
    assertThat(template.defaultVersionNumber()).as("the run's version is never the default").isEqualTo(1);
    LaunchTemplateVersion version = versions(template.launchTemplateId()).get(1);
    assertThat(version.versionNumber()).isEqualTo(2);
    assertThat(version.versionDescription()).isEqualTo("run " + run);
    assertThat(version.launchTemplateData().imageId()).isEqualTo("resolve:ssm:/ami-pipeline/demo/ami-id");
    assertThat(versions(template.launchTemplateId()).get(0).launchTemplateData().tagSpecifications())
        .as("the shared version 1 starts runs of their own").flatExtracting(s -> s.tags())
        .extracting(Tag::key).doesNotContain("ami-pipeline:run");
    assertThat(fleet.launchTemplateConfigs()).singleElement().satisfies(c -> {
      assertThat(c.launchTemplateSpecification().launchTemplateId()).isEqualTo(template.launchTemplateId());
      assertThat(c.launchTemplateSpecification().version()).isEqualTo("2");
    });

    // moto started the fleet's instance from the version, with the version's tags.
    Instance instance = instancesOf(run).get(0);
    assertThat(instancesOf(run)).hasSize(1);
    assertThat(tags(instance)).containsEntry("ami-pipeline:project", "demo").containsEntry("ami-pipeline:run", run)
        .containsEntry("ami-pipeline:max-attempts", "5").doesNotContainKey("ami-pipeline:on-demand-after");
    assertThat(AwsCallLog.calls()).contains("Ec2:CreateLaunchTemplate", "Ec2:CreateLaunchTemplateVersion",
        "Ec2:CreateFleet", "Ec2:DescribeFleetInstances").doesNotContain("Ec2:RunInstances", "Ec2:ModifyLaunchTemplate");

    List<String> lines = r.out().lines().toList();
    assertThat(lines.get(1)).isEqualTo("demo: 1 of 1 instance from " + ami + " via EC2 Fleet " + fleet.fleetId());
    assertThat(lines).contains("recovery: EC2 Fleet " + fleet.fleetId() + " (maintain) keeps 1 instance of launch"
        + " template ami-pipeline-demo version 2 (" + template.launchTemplateId() + "), up to 5 attempts",
        "cost ceiling: " + fleet.validUntil() + " (5 attempts × (timeoutMinutes 10 + 10)): EC2 launches nothing for"
            + " this run after it and ends what still runs (the fleet's ValidUntil)",
        "next: ami logs " + run + " --follow");
  }

  /**
   * With the template there, a second run gets version 3, pinned to an ami-id version; --max-hours
   * sets the ceiling; --wait waits for the fleet's instances (DescribeFleetInstances, then the
   * instance waiter); the JSON names the fleet and the ceiling.
   */
  @Test
  void aSecondRunGetsItsOwnVersionAndMaxHoursAndWaitsForBothNodes(MotoServer moto) throws Exception {
    Bakes.bake(aws, "demo");
    assertThat(Cli.run(moto, "launch", "--project", "demo", "--template-only").exitCode()).isZero();
    Instant before = Instant.now().truncatedTo(ChronoUnit.SECONDS);

    Cli.Result r = Cli.run(moto, "launch", "--project", "demo", "--recover", "--max-hours", "2.5", "--count", "2",
        "--ami-version", "1", "--wait", "--output", "json");

    assertThat(r.exitCode()).as(r.err()).isZero();
    JsonNode json = Json.STRICT.readTree(r.out());
    String run = json.path("runId").asText();
    JsonNode recovery = json.path("recovery");
    assertThat(recovery.path("fleetId").asText()).isEqualTo(json.path("fleetId").asText()).startsWith("fleet-");
    assertThat(recovery.path("templateVersion").asInt()).isEqualTo(2);
    assertThat(recovery.path("maxAttempts").asInt()).isEqualTo(5);
    assertThat(recovery.path("ceiling").asText()).isEqualTo("--max-hours 2.5");
    Instant validUntil = Instant.parse(recovery.path("validUntil").asText());
    assertThat(validUntil).isBetween(before.plus(Duration.ofMinutes(150)), Instant.now().plus(Duration.ofMinutes(150)));
    assertThat(json.path("instances")).hasSize(2);
    assertThat(json.path("instances").findValuesAsText("state")).containsOnly("running");
    var template = aws.ec2().describeLaunchTemplates().launchTemplates().get(0);
    assertThat(versions(template.launchTemplateId()).get(1).launchTemplateData().imageId())
        .isEqualTo("resolve:ssm:/ami-pipeline/demo/ami-id:1");
    assertThat(instancesOf(run)).hasSize(2).allSatisfy(i -> assertThat(tags(i))
        .containsEntry("ami-pipeline:nodes", "2").containsEntry("ami-pipeline:max-attempts", "5"));
    assertThat(aws.ec2().describeFleets(b -> b.fleetIds(recovery.path("fleetId").asText())).fleets().get(0)
        .validUntil()).isEqualTo(validUntil);
  }

  /**
   * Without the project's template the dry run checks its creation and prints the version and the
   * fleet unsent; with it, the version and the fleet are checked by EC2 with DryRun=true. Nothing is
   * created either way.
   */
  @Test
  void aDryRunPrintsTheVersionAndTheFleetAndCreatesNothing(MotoServer moto) {
    Bakes.bake(aws, "demo");

    Cli.Result fresh = Cli.run(moto, "launch", "--project", "demo", "--spot", "--recover", "--dry-run");

    assertThat(fresh.exitCode()).as(fresh.err()).isZero();
    assertThat(fresh.out()).contains("CreateLaunchTemplate -> DryRunOperation", "CreateLaunchTemplateVersion (not sent)",
        "CreateFleet (not sent)", "\"Type\" : \"maintain\"", "\"VersionDescription\" : \"run demo-",
        "\"Version\" : \"<the version above>\"", "\"TerminateInstancesWithExpiration\" : true", "\"ValidUntil\" : ",
        "\"ImageId\" : \"resolve:ssm:/ami-pipeline/demo/ami-id\"", "\"Key\" : \"ami-pipeline:max-attempts\"",
        "\"InstanceMetadataTags\" : \"enabled\"", "note: cost ceiling: ");
    assertThat(aws.ec2().describeLaunchTemplates().launchTemplates()).isEmpty();
    assertThat(aws.ec2().describeFleets().fleets()).isEmpty();

    assertThat(Cli.run(moto, "launch", "--project", "demo", "--template-only").exitCode()).isZero();
    String before = EmulatorState.of(moto);
    Cli.Result existing = Cli.run(moto, "launch", "--project", "demo", "--spot", "--recover", "--dry-run");

    assertThat(existing.exitCode()).as(existing.err()).isZero();
    assertThat(existing.out()).contains("CreateLaunchTemplateVersion -> DryRunOperation",
        "CreateFleet -> DryRunOperation: the request would have succeeded (checked naming version 1 of"
            + " ami-pipeline-demo, which exists; the launch names the run's new version)");
    assertThat(EmulatorState.of(moto)).as("nothing created").isEqualTo(before);
  }

  /**
   * {@code --follow} of a recovering run: attempt 1's log, its spot interruption, the fleet's
   * replacement (played here) and attempt 2's log to its end; the command exits with attempt 2's code.
   */
  @Test
  void followFollowsTheRunAcrossItsAttemptsUntilItEnds(MotoServer moto) throws Exception {
    Bakes.bake(aws, "demo");
    aws.s3(aws.region()).createBucket(b -> b.bucket(BUCKET));
    InstanceSide instanceSide = new InstanceSide(aws.s3(aws.region()), BUCKET, "runs/demo/");
    AwsCallLog.start();
    CompletableFuture<Cli.Result> following = CompletableFuture.supplyAsync(() -> Cli.run(moto, "launch",
        "--project", "demo", "--spot", "--recover", "--follow", "--poll-interval-ms", "50"));
    Instance first = awaitInstanceOfProject();
    String run = tags(first).get("ami-pipeline:run");
    Await.until("the first poll", Duration.ofMinutes(1), () -> AwsCallLog.count("S3:GetObject") >= 2);

    instanceSide.uploadLog(run, first.instanceId(), "attempt 1: epoch 1\n");
    instanceSide.ended(run, first.instanceId(), "t3.micro", "attempt 1: epoch 1\nattempt 1: interrupted\n",
        new InstanceSide.End(143, "spot-interruption", 1, Instant.now().minusSeconds(30), Instant.now()), 1);
    aws.ec2().terminateInstances(b -> b.instanceIds(first.instanceId()));
    long polled = AwsCallLog.count("Ec2:DescribeFleets") + 3;
    Await.until("the wait for the replacement", Duration.ofMinutes(1),
        () -> AwsCallLog.count("Ec2:DescribeFleets") >= polled);
    String second = replaceAsEc2FleetDoes(run);
    instanceSide.ended(run, second, "t3.micro", "attempt 2: resumed\nattempt 2: done\n",
        new InstanceSide.End(0, "exited", 2, Instant.now().minusSeconds(20), Instant.now()), 1);
    String fleetId = aws.ec2().describeFleets().fleets().get(0).fleetId();
    aws.ec2().deleteFleets(b -> b.fleetIds(fleetId).terminateInstances(false)); // as first-boot does at the end
    Cli.Result r = following.get(2, TimeUnit.MINUTES);

    assertThat(r.exitCode()).as(r.err()).isZero();
    List<String> lines = r.out().lines().toList();
    int log = lines.indexOf("attempt 1: epoch 1");
    assertThat(log).as(r.out()).isPositive();
    assertThat(lines.subList(log, lines.size())).containsExactly("attempt 1: epoch 1", "attempt 1: interrupted",
        "attempt 2: resumed", "attempt 2: done", "job on " + second + " ended: exit code 0 (exited); log: s3://"
            + BUCKET + "/runs/demo/" + run + "/" + second + "/job.log");
    assertThat(r.errLines()).contains("ami: job on " + first.instanceId() + " ended: exit code 143"
        + " (spot-interruption); log: s3://" + BUCKET + "/runs/demo/" + run + "/" + first.instanceId() + "/job.log",
        "ami: run " + run + " recovers: following attempt 2 on " + second);
  }

  /** What EC2 Fleet does when an instance is interrupted: a new one from the run's template version. */
  private String replaceAsEc2FleetDoes(String run) {
    FleetData fleet = aws.ec2().describeFleets().fleets().get(0);
    var spec = fleet.launchTemplateConfigs().get(0).launchTemplateSpecification();
    Instance replacement = aws.ec2().runInstances(b -> b.minCount(1).maxCount(1).instanceType("t3.micro")
        .launchTemplate(t -> t.launchTemplateId(spec.launchTemplateId()).version(spec.version()))).instances().get(0);
    assertThat(tags(instancesOf(run).stream().filter(i -> i.instanceId().equals(replacement.instanceId()))
        .findFirst().orElseThrow())).containsEntry("ami-pipeline:run", run);
    return replacement.instanceId();
  }

  private Instance awaitInstanceOfProject() {
    Await.until("the fleet's first instance", Duration.ofMinutes(1), () -> !instancesOfProject().isEmpty());
    return instancesOfProject().get(0);
  }

  private List<Instance> instancesOfProject() {
    return aws.ec2().describeInstancesPaginator(b -> b.filters(Filter.builder().name("tag:ami-pipeline:project")
        .values("demo").build())).reservations().stream().flatMap(x -> x.instances().stream()).toList();
  }

  private List<Instance> instancesOf(String run) {
    return aws.ec2().describeInstancesPaginator(b -> b.filters(Filter.builder().name("tag:ami-pipeline:run")
        .values(run).build())).reservations().stream().flatMap(x -> x.instances().stream()).toList();
  }

  private List<LaunchTemplateVersion> versions(String templateId) {
    return aws.ec2().describeLaunchTemplateVersions(b -> b.launchTemplateId(templateId)).launchTemplateVersions()
        .stream().sorted(Comparator.comparingLong(LaunchTemplateVersion::versionNumber)).toList();
  }

  private static Map<String, String> tags(Instance i) {
    return i.tags().stream().collect(Collectors.toMap(Tag::key, Tag::value));
  }
}
