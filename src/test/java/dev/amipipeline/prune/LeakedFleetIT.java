package dev.amipipeline.prune;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.amipipeline.common.Json;
import dev.amipipeline.launch.Bakes;
import dev.amipipeline.runs.InstanceSide;
import dev.amipipeline.testing.Cli;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.ec2.model.FleetData;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.ResourceType;

/**
 * Recovering runs' fleets that outlive their run (leaked: they cost money), in {@code ami list} and
 * {@code ami prune}, against the emulator. The runs are started by {@code ami launch --recover}; their
 * results are written as the instance side writes them ({@link InstanceSide}, a fixture), and the
 * fleet that the instance side deletes at a run's end is left, as when that deletion failed.
 *
 * <p>The ended run's instance is left stopped, not terminated: moto refuses DeleteFleets with
 * TerminateInstances=true when every instance of the fleet is terminated (InvalidParameterCombination
 * "No instances specified"), where AWS deletes the fleet. A stopped instance is no instance at work,
 * so the rule is the same.
 */
class LeakedFleetIT extends MotoTestBase {

  private static final String BUCKET = "ami-pipeline-demo-logs"; // demo's run.logUri: s3://ami-pipeline-demo-logs/runs

  @TempDir Path tmp;
  private InstanceSide instanceSide;

  @BeforeEach
  void bakeAndMakeTheLogBucket() {
    Bakes.bake(aws, "demo");
    aws.s3(aws.region()).createBucket(b -> b.bucket(BUCKET));
    instanceSide = new InstanceSide(aws.s3(aws.region()), BUCKET, "runs/demo/");
  }

  /**
   * Three fleets: of a run that ended (its run.json written, its instance down), of a run between two
   * attempts (interrupted: the fleet replaces the instance), and one whose ValidUntil has passed.
   * List shows the first and the last with why; a dry run prunes nothing; prune deletes them, and
   * leaves the recovering run's.
   */
  @Test
  void listShowsLeakedFleetsAndPruneDeletesThemButNotARecoveringRunsOrOnADryRun() throws Exception {
    Launched ended = launchRecovering();
    instanceSide.ended(ended.run(), ended.instanceId(), "t3.micro", "done\n",
        new InstanceSide.End(0, "exited", 1, Instant.now().minusSeconds(60), Instant.now()), 1);
    ec2.stopInstances(b -> b.instanceIds(ended.instanceId()));
    Launched recovering = launchRecovering();
    instanceSide.ended(recovering.run(), recovering.instanceId(), "t3.micro", "epoch 1\n",
        new InstanceSide.End(143, "spot-interruption", 1, Instant.now().minusSeconds(60), Instant.now()), 1);
    ec2.terminateInstances(b -> b.instanceIds(recovering.instanceId()));
    String expired = expiredFleet();

    Cli.Result list = Cli.run(moto, "list", "--project", "demo");
    Cli.Result listJson = Cli.run(moto, "list", "--project", "demo", "--output", "json");
    Cli.Result dryRun = Cli.run(moto, "prune", "--project", "demo", "--dry-run", "--history", history());
    Map<String, String> afterDryRun = fleetStates();
    Cli.Result prune = Cli.run(moto, "prune", "--project", "demo", "--history", history());

    assertThat(list.exitCode()).as(list.err()).isZero();
    assertThat(list.out()).contains("leaked fleet (prune deletes it with its instances): " + ended.fleetId()
        + " of run " + ended.run() + ": run " + ended.run() + " has ended (run.json: succeeded)");
    assertThat(list.out()).containsPattern("leaked fleet \\(prune deletes it with its instances\\): " + expired
        + " of run demo-20261201-000000-0eee: its ValidUntil \\S+ has passed");
    assertThat(list.out()).doesNotContain(recovering.fleetId());
    JsonNode leaked = Json.STRICT.readTree(listJson.out()).at("/regions/0/projects/0/leakedFleets");
    assertThat(leaked.findValuesAsText("fleetId")).containsExactlyInAnyOrder(ended.fleetId(), expired);

    assertThat(dryRun.exitCode()).as(dryRun.err()).isZero();
    assertThat(dryRun.out()).contains("leaked fleet " + ended.fleetId() + " of run " + ended.run()
        + " (run " + ended.run() + " has ended (run.json: succeeded)): delete with its instances",
        "would deregister 0 images, delete 0 snapshots, 2 leaked fleets; would free");
    assertThat(afterDryRun).containsEntry(ended.fleetId(), "active").containsEntry(expired, "active");

    assertThat(prune.exitCode()).as(prune.err()).isZero();
    assertThat(prune.out()).contains("leaked fleet " + ended.fleetId() + " of run " + ended.run(),
        "0 images deregistered, 0 snapshots, 2 leaked fleets deleted");
    assertThat(fleetStates()).containsEntry(recovering.fleetId(), "active")
        .hasEntrySatisfying(ended.fleetId(), s -> assertThat(s).startsWith("deleted"))
        .hasEntrySatisfying(expired, s -> assertThat(s).startsWith("deleted"));
    assertThat(ec2.describeInstances(b -> b.instanceIds(ended.instanceId())).reservations().get(0).instances().get(0)
        .state().nameAsString()).as("the fleet's deletion ends its instances").isEqualTo("terminated");
  }

  /** A run started by {@code ami launch --recover}: its id, its first instance and its fleet. */
  private record Launched(String run, String instanceId, String fleetId) {}

  private Launched launchRecovering() throws IOException {
    Cli.Result r = Cli.run(moto, "launch", "--project", "demo", "--spot", "--recover", "--output", "json");
    assertThat(r.exitCode()).as(r.err()).isZero();
    JsonNode json = Json.STRICT.readTree(r.out());
    return new Launched(json.path("runId").asText(), json.path("instances").get(0).path("instanceId").asText(),
        json.path("fleetId").asText());
  }

  /** A run's fleet whose ValidUntil has passed, still listed active (moto never expires one). */
  private String expiredFleet() {
    String template = ec2.describeLaunchTemplates().launchTemplates().get(0).launchTemplateId();
    return ec2.createFleet(b -> b.type("maintain").validUntil(Instant.now().minusSeconds(60))
        .terminateInstancesWithExpiration(true)
        .launchTemplateConfigs(c -> c.launchTemplateSpecification(s -> s.launchTemplateId(template).version("1")))
        .targetCapacitySpecification(t -> t.totalTargetCapacity(1).defaultTargetCapacityType("on-demand"))
        .tagSpecifications(t -> t.resourceType(ResourceType.FLEET).tags(
            x -> x.key("ami-pipeline:project").value("demo"),
            x -> x.key("ami-pipeline:run").value("demo-20261201-000000-0eee")))).fleetId();
  }

  private Map<String, String> fleetStates() {
    List<FleetData> fleets = ec2.describeFleets(b -> b.filters(Filter.builder().name("type").values("maintain")
        .build())).fleets();
    return fleets.stream().collect(Collectors.toMap(FleetData::fleetId, FleetData::fleetStateAsString));
  }

  private String history() {
    return tmp.resolve("ami-history.md").toString();
  }
}
