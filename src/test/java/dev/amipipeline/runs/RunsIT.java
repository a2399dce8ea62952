package dev.amipipeline.runs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.amipipeline.aws.AwsClients;
import dev.amipipeline.common.Json;
import dev.amipipeline.launch.AwsCallLog;
import dev.amipipeline.launch.Bakes;
import dev.amipipeline.testing.Await;
import dev.amipipeline.testing.Cli;
import dev.amipipeline.testing.EmulatorState;
import dev.amipipeline.testing.MotoExtension;
import dev.amipipeline.testing.MotoServer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.Tag;

/**
 * {@code ami runs}, {@code ami logs} and {@code ami cancel} against the emulator: runs started by
 * {@code ami launch}, their results written to S3 as the instance side's contract says
 * ({@link InstanceSide}), their instances ended as EC2 ends them.
 */
@ExtendWith(MotoExtension.class)
class RunsIT {

  private static final String BUCKET = "ami-pipeline-demo-logs"; // demo's run.logUri: s3://ami-pipeline-demo-logs/runs
  private static final String LOGS = "s3://" + BUCKET + "/runs/demo/";
  private static final String OLD_INSTANCE = "i-0123456789abcdef0";

  private AwsClients aws;
  private InstanceSide instanceSide;

  @BeforeEach
  void bakeAndMakeTheLogBucket(MotoServer moto) {
    aws = Bakes.aws(moto);
    Bakes.bake(aws, "demo");
    aws.s3(aws.region()).createBucket(b -> b.bucket(BUCKET));
    instanceSide = new InstanceSide(aws.s3(aws.region()), BUCKET, "runs/demo/");
  }

  @AfterEach
  void closeClients() {
    AwsCallLog.stop();
    aws.close();
  }

  /** A run that succeeded, one whose job exited 3, one whose setup failed, and one of the old layout. */
  @Test
  void runsShowsEachRunsStateAttemptsAndLogNewestFirstAndTheSameAsJson(MotoServer moto) throws Exception {
    Instant now = Instant.now();
    Launched ok = launch(moto);
    Launched failed = launch(moto);
    Launched setup = launch(moto);
    instanceSide.ended(ok.run(), ok.instanceId(), "t3.micro", "hello from the job\n", end(0, "exited", now), 1);
    instanceSide.ended(failed.run(), failed.instanceId(), "t3.micro", "epoch 1\ntraceback\n", end(3, "exited", now),
        1);
    instanceSide.ended(setup.run(), setup.instanceId(), "t3.micro", null, end(125, "setup-failed", now), 1);
    instanceSide.endedInTheOldLayout(OLD_INSTANCE, "old job\n", 0, now.minus(Duration.ofDays(1)),
        now.minus(Duration.ofDays(1)).plusSeconds(60));
    aws.ec2().terminateInstances(b -> b.instanceIds(ok.instanceId(), failed.instanceId(), setup.instanceId()));

    Cli.Result r = Cli.run(moto, "runs", "--project", "demo");

    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.err()).isEmpty();
    List<String> lines = r.out().lines().toList();
    assertThat(lines.get(0)).matches("RUN +PROJECT +STARTED \\(UTC\\) +DURATION +TYPE +MARKET +ATTEMPTS +STATE +LOG");
    assertThat(lines).hasSize(5);
    Map<String, String> rows = lines.subList(1, 5).stream().collect(Collectors.toMap(l -> l.split(" +")[0],
        Function.identity()));
    assertThat(rows.get(ok.run())).matches(ok.run() + " +demo +\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d +[0-9ms ]+"
        + " +t3\\.micro +on-demand +1 +succeeded +" + LOGS + ok.run() + "/" + ok.instanceId() + "/job\\.log");
    assertThat(rows.get(failed.run())).contains(" failed (code 3) ",
        LOGS + failed.run() + "/" + failed.instanceId() + "/job.log");
    assertThat(rows.get(setup.run())).contains(" setup failed ");
    assertThat(rows.get(OLD_INSTANCE)).contains(" succeeded ", LOGS + OLD_INSTANCE + "/job.log").contains(" 1m ");
    assertThat(lines.get(4)).as("the old run started a day earlier: last").startsWith(OLD_INSTANCE);

    Cli.Result json = Cli.run(moto, "runs", "--project", "demo", "--output", "json");
    assertThat(json.exitCode()).as(json.err()).isZero();
    Map<String, JsonNode> byId = new java.util.HashMap<>();
    Json.STRICT.readTree(json.out()).path("runs").forEach(run -> byId.put(run.path("runId").asText(), run));
    assertThat(byId).containsOnlyKeys(ok.run(), failed.run(), setup.run(), OLD_INSTANCE);
    assertThat(byId.get(failed.run()).path("state").asText()).isEqualTo("failed (code 3)");
    assertThat(byId.get(failed.run()).path("exitCode").asInt()).isEqualTo(3);
    assertThat(byId.get(setup.run()).path("state").asText()).isEqualTo("setup failed");
    assertThat(byId.get(ok.run()).path("attempts").asInt()).isEqualTo(1);
    assertThat(byId.get(ok.run()).path("market").asText()).isEqualTo("on-demand");
    assertThat(byId.get(ok.run()).path("instances").get(0).path("instanceId").asText()).isEqualTo(ok.instanceId());
    assertThat(byId.get(OLD_INSTANCE).path("log").asText()).isEqualTo(LOGS + OLD_INSTANCE + "/job.log");
  }

  /**
   * {@code --since} leaves out runs started before it; a run that ended long ago with a complete
   * run.json costs one GET (that file) and no listing of its folder.
   */
  @Test
  void sinceLeavesOutOlderRunsAndAnOldRunsCompleteSummaryIsAllThatIsRead(MotoServer moto) {
    String old = "demo-20240105-080000-abcd";
    instanceSide.ended(old, "i-00000000000000001", "g5.xlarge", "long ago\n",
        new InstanceSide.End(0, "exited", 1, Instant.parse("2024-01-05T08:00:30Z"),
            Instant.parse("2024-01-05T09:00:00Z")), 1);

    Cli.Result recent = Cli.run(moto, "runs", "--project", "demo");
    AwsCallLog.start();
    Cli.Result all = Cli.run(moto, "runs", "--project", "demo", "--since", "0");
    AwsCallLog.stop();
    Cli.Result thousandDays = Cli.run(moto, "runs", "--project", "demo", "--since", "1000d");
    Cli.Result threeYears = Cli.run(moto, "runs", "--project", "demo", "--since", "1100d");

    assertThat(recent.exitCode()).as(recent.err()).isZero();
    assertThat(recent.out()).isEqualTo("no runs started in the last 7d (--since 30d looks further back)\n");
    assertThat(all.exitCode()).as(all.err()).isZero();
    assertThat(all.out()).containsPattern(old + " +demo +2024-01-05 08:00 +1h +g5\\.xlarge +- +1 +succeeded +"
        + LOGS + old + "/i-00000000000000001/job\\.log");
    assertThat(AwsCallLog.count("S3:GetObject")).as("run.json only").isEqualTo(1);
    assertThat(AwsCallLog.count("S3:ListObjectsV2")).as("the project's folder only").isEqualTo(1);
    assertThat(thousandDays.out()).doesNotContain(old);
    assertThat(threeYears.out()).contains(old);
  }

  @Test
  void logsPrintsTheJobLogOrWithNothingInS3TheConsoleOutputSayingSoAndReadsTheOldLayout(MotoServer moto) {
    Launched done = launch(moto);
    instanceSide.ended(done.run(), done.instanceId(), "t3.micro", "line one\nline two\n",
        end(0, "exited", Instant.now()), 1);
    Launched silent = launch(moto);
    instanceSide.endedInTheOldLayout(OLD_INSTANCE, "an old job's line\n", 4, Instant.now(), Instant.now());

    Cli.Result log = Cli.run(moto, "logs", done.run());
    Cli.Result console = Cli.run(moto, "logs", silent.run());
    Cli.Result oldLayout = Cli.run(moto, "logs", OLD_INSTANCE, "--project", "demo");
    Cli.Result noSuchAttempt = Cli.run(moto, "logs", done.run(), "--attempt", "2");

    assertThat(log.exitCode()).as(log.err()).isZero();
    assertThat(log.out().lines()).containsExactly("line one", "line two",
        "run " + done.run() + ": succeeded; log: " + LOGS + done.run() + "/" + done.instanceId() + "/job.log");
    assertThat(log.err()).isEmpty();

    assertThat(console.exitCode()).as(console.err()).isZero();
    assertThat(console.errLines()).containsExactly("ami: nothing of " + silent.instanceId() + " (attempt 1) in S3 at "
        + LOGS + silent.run() + "/" + silent.instanceId() + "/; its console output from EC2 instead:");
    assertThat(console.out()).contains("Linux version 2.6.16-xenU") // moto's console output
        .endsWith("run " + silent.run() + ": running; log: " + LOGS + silent.run() + "/" + silent.instanceId()
            + "/job.log; follow it: ami logs " + silent.run() + " --follow\n");

    assertThat(oldLayout.exitCode()).as(oldLayout.err()).isZero();
    assertThat(oldLayout.out().lines()).containsExactly("an old job's line",
        "run " + OLD_INSTANCE + ": failed (code 4); log: " + LOGS + OLD_INSTANCE + "/job.log");

    assertThat(noSuchAttempt.exitCode()).isEqualTo(2);
    assertThat(noSuchAttempt.errLines()).containsExactly("ami: run " + done.run()
        + " has 1 attempt; there is no attempt 2");
  }

  @Test
  void logsFollowStreamsTheLogWhileTheRunLivesAndExitsWithTheJobsCode(MotoServer moto) throws Exception {
    Launched run = launch(moto);
    AwsCallLog.start();
    CompletableFuture<Cli.Result> following = CompletableFuture.supplyAsync(() ->
        Cli.run(moto, "logs", run.run(), "--follow", "--poll-interval-ms", "50"));

    Await.until("the first poll", Duration.ofMinutes(1), () -> AwsCallLog.count("S3:GetObject") >= 2);
    instanceSide.uploadLog(run.run(), run.instanceId(), "step 1\n");
    long seen = AwsCallLog.count("S3:GetObject") + 4;
    Await.until("two more polls", Duration.ofMinutes(1), () -> AwsCallLog.count("S3:GetObject") >= seen);
    instanceSide.ended(run.run(), run.instanceId(), "t3.micro", "step 1\nstep 2\n", end(3, "exited", Instant.now()),
        1);
    Cli.Result r = following.get(2, TimeUnit.MINUTES);

    assertThat(r.exitCode()).as(r.err()).isEqualTo(3);
    assertThat(r.out().lines()).containsExactly("step 1", "step 2", "job on " + run.instanceId()
        + " ended: exit code 3 (exited); log: " + LOGS + run.run() + "/" + run.instanceId() + "/job.log");
  }

  /** A running run of two instances: both tagged, then terminated; cancelling it again changes nothing. */
  @Test
  void cancelTagsAndTerminatesTheRunsInstancesAndASecondCancelSaysTheRunHasEnded(MotoServer moto) {
    Launched two = launch(moto, "--count", "2");
    Launched done = launch(moto);
    instanceSide.ended(done.run(), done.instanceId(), "t3.micro", "ok\n", end(0, "exited", Instant.now()), 1);

    Cli.Result cancel = Cli.run(moto, "cancel", two.run());

    assertThat(cancel.exitCode()).as(cancel.err()).isZero();
    List<Instance> ended = instancesOf(two.run());
    assertThat(ended).hasSize(2).allSatisfy(i -> {
      assertThat(i.state().nameAsString()).isEqualTo("terminated");
      assertThat(i.tags()).filteredOn(t -> t.key().equals("ami-pipeline:cancelled")).singleElement()
          .satisfies(t -> assertThat(Instant.parse(t.value())).isBefore(Instant.now().plusSeconds(1)));
    });
    String at = ended.get(0).tags().stream().filter(t -> t.key().equals("ami-pipeline:cancelled")).map(Tag::value)
        .findFirst().orElseThrow();
    assertThat(cancel.out()).isEqualTo("cancelled run " + two.run() + ": tagged ami-pipeline:cancelled=" + at
        + " and terminated " + ended.stream().map(Instance::instanceId).sorted().collect(Collectors.joining(", "))
        + "; each saves its checkpoint and uploads its logs before it goes (ami logs " + two.run() + ")\n");
    assertThat(Cli.run(moto, "runs").out()).containsPattern(two.run() + " .* cancelled +" + LOGS + two.run() + "/\n");

    String before = EmulatorState.of(moto);
    Cli.Result again = Cli.run(moto, "cancel", two.run());
    Cli.Result ofEnded = Cli.run(moto, "cancel", done.run(), "--output", "json");

    assertThat(again.exitCode()).as(again.err()).isZero();
    assertThat(again.out()).isEqualTo("run " + two.run() + " has already ended (cancelled): nothing to cancel\n");
    assertThat(ofEnded.exitCode()).as(ofEnded.err()).isZero();
    assertThat(ofEnded.out()).contains("\"cancelled\" : false", "\"state\" : \"succeeded\"");
    assertThat(EmulatorState.of(moto)).as("nothing changed").isEqualTo(before);
  }

  /**
   * A recovering run's cancel: its instance tagged, its fleet deleted with its instances (so EC2 starts
   * no replacement), its instance terminated; the fleet is listed deleted.
   */
  @Test
  void cancelOfARecoveringRunDeletesItsFleetAndTerminatesItsInstances(MotoServer moto) {
    Launched recovering = launch(moto, "--spot", "--recover", "--count", "2");
    String fleetId = aws.ec2().describeFleets().fleets().get(0).fleetId();

    Cli.Result cancel = Cli.run(moto, "cancel", recovering.run());

    assertThat(cancel.exitCode()).as(cancel.err()).isZero();
    assertThat(cancel.out()).contains("cancelled run " + recovering.run() + ": tagged ami-pipeline:cancelled=",
        ", deleted EC2 Fleet " + fleetId + " (it starts no replacement) and terminated i-");
    assertThat(aws.ec2().describeFleets(b -> b.fleetIds(fleetId)).fleets()).singleElement()
        .satisfies(f -> assertThat(f.fleetStateAsString()).startsWith("deleted"));
    assertThat(instancesOf(recovering.run())).hasSize(2).allSatisfy(i -> {
      assertThat(i.state().nameAsString()).isEqualTo("terminated");
      assertThat(i.tags()).extracting(Tag::key).contains("ami-pipeline:cancelled");
    });
    assertThat(Cli.run(moto, "runs").out()).containsPattern(recovering.run() + " .* cancelled +");
  }

  /**
   * A run of two attempts, its results written as the instance side writes them (a fixture: the
   * instance side's own tests run the real first-boot): attempt 1 interrupted, then, while its fleet
   * replaces the instance, running (recovering); then attempt 2, started by the fleet (played here from
   * the run's template version, as moto never replaces an instance), exits 0 and deletes the fleet.
   */
  @Test
  void runsShowsARecoveredRunsAttemptsAndItsFinalState(MotoServer moto) throws Exception {
    Launched run = launch(moto, "--spot", "--recover");
    Instant now = Instant.now();
    instanceSide.ended(run.run(), run.instanceId(), "t3.micro", "epoch 1\n",
        new InstanceSide.End(143, "spot-interruption", 1, now.minusSeconds(300), now.minusSeconds(200)), 1);
    aws.ec2().terminateInstances(b -> b.instanceIds(run.instanceId()));

    Cli.Result between = Cli.run(moto, "runs", "--project", "demo");

    var fleet = aws.ec2().describeFleets().fleets().get(0);
    var spec = fleet.launchTemplateConfigs().get(0).launchTemplateSpecification();
    String second = aws.ec2().runInstances(b -> b.minCount(1).maxCount(1).instanceType("t3.micro")
        .launchTemplate(t -> t.launchTemplateId(spec.launchTemplateId()).version(spec.version())))
        .instances().get(0).instanceId();
    Cli.Result secondAtWork = Cli.run(moto, "runs", "--project", "demo", "--output", "json");
    instanceSide.ended(run.run(), second, "t3.micro", "epoch 2\ndone\n",
        new InstanceSide.End(0, "exited", 2, now.minusSeconds(100), now), 1);
    aws.ec2().deleteFleets(b -> b.fleetIds(fleet.fleetId()).terminateInstances(false));
    aws.ec2().terminateInstances(b -> b.instanceIds(second));
    Cli.Result done = Cli.run(moto, "runs", "--project", "demo");
    Cli.Result json = Cli.run(moto, "runs", "--project", "demo", "--output", "json");

    assertThat(between.exitCode()).as(between.err()).isZero();
    assertThat(between.out()).containsPattern(run.run() + " .* 1 +running \\(recovering\\) +");
    assertThat(Json.STRICT.readTree(secondAtWork.out()).path("runs").get(0).path("state").asText())
        .isEqualTo("running");
    assertThat(done.exitCode()).as(done.err()).isZero();
    assertThat(done.out()).containsPattern(run.run() + " .* 2 \\(1 recovery\\) +succeeded +" + LOGS + run.run() + "/\n");
    JsonNode row = Json.STRICT.readTree(json.out()).path("runs").get(0);
    assertThat(row.path("attempts").asInt()).isEqualTo(2);
    assertThat(row.path("recoveries").asInt()).isEqualTo(1);
    assertThat(row.path("state").asText()).isEqualTo("succeeded");
    assertThat(row.path("instances").findValuesAsText("reason")).containsExactly("spot-interruption", "exited");
    assertThat(row.path("fleets")).isEmpty();
  }

  /** A run started by {@code ami launch}: its id (the first line) and its first instance. */
  private record Launched(String run, String instanceId) {}

  private Launched launch(MotoServer moto, String... more) {
    List<String> args = new ArrayList<>(List.of("launch", "--project", "demo"));
    args.addAll(List.of(more));
    Cli.Result r = Cli.run(moto, args.toArray(String[]::new));
    assertThat(r.exitCode()).as(r.err()).isZero();
    String run = r.out().lines().findFirst().orElseThrow().substring("run ".length());
    return new Launched(run, instancesOf(run).get(0).instanceId());
  }

  private List<Instance> instancesOf(String run) {
    return aws.ec2().describeInstancesPaginator(b -> b.filters(Filter.builder().name("tag:ami-pipeline:run")
        .values(run).build())).reservations().stream().flatMap(r -> r.instances().stream()).toList();
  }

  private static InstanceSide.End end(int code, String reason, Instant now) {
    return new InstanceSide.End(code, reason, 1, now.minusSeconds(50), now.minusSeconds(5));
  }
}
