package dev.amipipeline.local;

import static dev.amipipeline.local.LocalStack.read;
import static dev.amipipeline.local.LocalStack.runIdIn;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.amipipeline.aws.Ec2Tags;
import dev.amipipeline.common.Json;
import dev.amipipeline.project.Tags;
import dev.amipipeline.testing.Await;
import dev.amipipeline.testing.Shell;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.ec2.model.FleetData;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.InstanceLifecycleType;

/**
 * Recovery on local instances, end to end: {@code ami launch --local --spot --recover} with a
 * simulated spot notice, the local runtime playing EC2's part (the run's fleet replaces the
 * interrupted instance) and the image's first-boot playing the instance's (attempts, checkpoint,
 * the fleet deleted at the run's end, gave-up, on demand after N). Each test checks the end state
 * in the emulator (the run's instances and fleet), in S3 (exit statuses, {@code ami runs}) and on
 * this host (no container, folder, process or mount). The demo image {@link LocalStack} bakes once
 * serves every run: the recovery settings are launch settings, read from the project file at launch,
 * so each test launches with a copy of the demo project that has its own {@code launch.recover}.
 */
class LocalRecoveryIT {

  /** The notice is there from (almost) the boot: first-boot sees it at its first poll, 5 s into the job. */
  static final String NOTICE_AFTER = "1s";
  static final Pattern SIGTERM = Pattern.compile("^attempt 1: SIGTERM after epoch (\\d+)$", Pattern.MULTILINE);

  @RegisterExtension static final LocalStack local = new LocalStack();
  @TempDir static Path tmp;

  @BeforeAll
  static void bakeTheDemoProject() {
    local.bakedDemo();
  }

  /**
   * A training-like job: {@code epochs} epochs of {@code seconds} each, a checkpoint file per epoch,
   * going on after the last epoch it finds in the checkpoint folder; it says which attempt it is and
   * where it resumed, and saves nothing more when stopped (each epoch's file is its checkpoint).
   */
  static String trains(int epochs, int seconds) {
    return """
        #!/bin/bash
        cd "$AMI_CHECKPOINT_DIR"
        epoch=$(ls | sed -n 's/^epoch-//p' | sort -n | tail -n 1)
        epoch=${epoch:-0}
        echo "attempt $AMI_ATTEMPT resumes after epoch $epoch"
        trap 'echo "attempt $AMI_ATTEMPT: SIGTERM after epoch $epoch"; exit 143' TERM
        while (( epoch < %d )); do
          sleep %d &
          wait $!
          epoch=$((epoch + 1))
          : >"epoch-$epoch"
          echo "epoch $epoch (attempt $AMI_ATTEMPT)"
        done
        echo "trained $epoch epochs"
        """.formatted(epochs, seconds);
  }

  @Test
  void aSpotInterruptedTrainingGoesOnFromItsCheckpointOnTheFleetsReplacementAndFinishes() throws IOException {
    local.jobs.publish(trains(6, 2));
    Path projects = recovering("story", 3, null);

    Shell.Result launch = launch(projects, "--spot-interrupt-after", NOTICE_AFTER);

    assertThat(launch.exitCode()).as("the last attempt's job: %s", launch.err()).isZero();
    String run = runIdIn(launch.out());
    Matcher interrupted = SIGTERM.matcher(launch.out());
    assertThat(interrupted.find()).as("attempt 1 stopped by the notice: %s", launch.out()).isTrue();
    int saved = Integer.parseInt(interrupted.group(1));
    assertThat(saved).as("mid-way").isBetween(1, 5);
    assertThat(launch.out()).as("followed across both attempts").contains("attempt 1 resumes after epoch 0",
        "epoch 1 (attempt 1)",
        "attempt 2 resumes after epoch " + saved, "epoch " + (saved + 1) + " (attempt 2)", "epoch 6 (attempt 2)",
        "trained 6 epochs", "exit code 0 (exited)");
    assertThat(launch.out()).as("from the checkpoint, not from the start").doesNotContain("epoch 1 (attempt 2)");
    List<Instance> attempts = instancesOf(run);
    assertThat(attempts).hasSize(2);
    assertThat(launch.err()).contains(attempts.get(0).instanceId() + " ended by a spot interruption; its fleet",
        "replaces it on the spot market");
    assertThat(attempts).extracting(Instance::instanceLifecycle).as("the notice came to the first attempt only;"
        + " the second ran on spot to its end").containsOnly(InstanceLifecycleType.SPOT);
    assertThat(end(run, attempts.get(0))).isEqualTo("spot-interruption, attempt 1");
    assertThat(end(run, attempts.get(1))).isEqualTo("exited, attempt 2");
    JsonNode row = local.runsRow(LocalStack.DEMO, run);
    assertThat(row.get("state").asText()).isEqualTo("succeeded");
    assertThat(row.get("attempts").asInt()).isEqualTo(2);
    assertThat(row.get("recoveries").asInt()).isEqualTo(1);
    assertNothingLeftOf(run);
  }

  @Test
  void aRunInterruptedOnEveryAttemptGivesUpAfterMaxAttempts() throws IOException {
    local.jobs.publish(trains(100_000, 1));
    Path projects = recovering("gives-up", 2, null);

    Shell.Result launch = launch(projects, "--spot-interrupt-after", NOTICE_AFTER, "--spot-interrupt-attempts", "2");

    String run = runIdIn(launch.out());
    assertThat(launch.exitCode()).as("gave up (EX_TEMPFAIL): %s", launch.err()).isEqualTo(75);
    assertThat(launch.out()).contains("attempt 1: SIGTERM after epoch", "attempt 2: SIGTERM after epoch");
    List<Instance> instances = instancesOf(run);
    assertThat(instances).as("two attempts, and the instance that found them used up").hasSize(3);
    assertThat(instances.stream().map(i -> exitStatus(run, i).get("reason").asText()))
        .containsExactly("spot-interruption", "spot-interruption", "gave-up");
    JsonNode row = local.runsRow(LocalStack.DEMO, run);
    assertThat(row.get("state").asText()).isEqualTo("gave up");
    assertThat(row.get("attempts").asInt()).as("the one that gave up ran no job").isEqualTo(2);
    assertNothingLeftOf(run);
  }

  @Test
  void afterOnDemandAfterInterruptionsTheReplacementRunsOnDemandWhereNoNoticeComes() throws IOException {
    local.jobs.publish(trains(6, 2));
    Path projects = recovering("on-demand", 2, 1);

    // A notice for both attempts: a spot second attempt would be interrupted too, and the run give up.
    Shell.Result launch = launch(projects, "--spot-interrupt-after", NOTICE_AFTER, "--spot-interrupt-attempts", "2");

    assertThat(launch.exitCode()).as(launch.err()).isZero();
    String run = runIdIn(launch.out());
    assertThat(launch.err()).contains("replaces it on demand");
    List<Instance> attempts = instancesOf(run);
    assertThat(attempts).hasSize(2);
    assertThat(attempts.get(0).instanceLifecycle()).isEqualTo(InstanceLifecycleType.SPOT);
    assertThat(attempts.get(1).instanceLifecycle()).as("on demand in the emulator: no lifecycle").isNull();
    assertThat(attempts.get(1).spotInstanceRequestId()).as("and no spot request").isNull();
    assertThat(end(run, attempts.get(1))).isEqualTo("exited, attempt 2");
    assertThat(exitStatus(run, attempts.get(1)).get("market").asText()).as("what its metadata said")
        .isEqualTo("on-demand");
    assertThat(local.runsRow(LocalStack.DEMO, run).get("state").asText()).isEqualTo("succeeded");
    assertNothingLeftOf(run);
  }

  @Test
  void killingTheCliOfARecoveringRunEndsItsContainerItsInstanceAndItsFleet() throws Exception {
    local.jobs.publish(trains(100_000, 1));
    Path projects = recovering("killed", 3, null);
    Path out = tmp.resolve("killed.out");
    Path err = tmp.resolve("killed.err");
    Process cli = Shell.start(launchCommand(projects), local.environment(), out, err);
    String run;
    try {
      Await.until("the first attempt's job", Duration.ofMinutes(3),
          () -> read(out).contains("epoch 1 (attempt 1)") || !cli.isAlive());
      assertThat(cli.isAlive()).as("still following: %s", read(err)).isTrue();
      run = runIdIn(read(out));
      assertThat(activeFleetsOf(run)).as("the run's fleet, before").hasSize(1);

      cli.destroyForcibly(); // SIGKILL: no shutdown hook, no finally block
      assertThat(cli.waitFor(30, TimeUnit.SECONDS)).isTrue();
    } finally {
      Shell.stop(cli);
    }

    // machine.sh notices the closed pipe: it halts the container (10 s grace), then ends the run's fleet
    // and instance in the emulator, then deletes the folder.
    Await.until("the machine and the run's fleet to be gone", Duration.ofSeconds(90),
        () -> local.machineFolders().isEmpty() && activeFleetsOf(run).isEmpty()
            && runningInstancesOf(run).isEmpty());
    assertThat(instancesOf(run)).as("nothing replaced it").hasSize(1);
    assertNothingLeftOf(run);
  }

  // --- launching and reading what a run left ---

  /** A copy of the baked demo project whose launch.recover has these settings, in a projects folder of its own. */
  static Path recovering(String name, int maxAttempts, Integer onDemandAfter) throws IOException {
    ObjectNode project = (ObjectNode) Json.OUTPUT.readTree(local.projects.resolve(LocalStack.DEMO + ".json").toFile());
    ObjectNode recover = ((ObjectNode) project.get("launch")).putObject("recover").put("maxAttempts", maxAttempts);
    if (onDemandAfter != null) {
      recover.put("onDemandAfter", onDemandAfter);
    }
    Path dir = Files.createDirectories(tmp.resolve("projects-" + name));
    Files.writeString(dir.resolve(LocalStack.DEMO + ".json"), Json.OUTPUT.writeValueAsString(project));
    return dir;
  }

  static List<String> launchCommand(Path projects, String... extra) {
    List<String> args = new ArrayList<>(List.of("launch", "--projects-dir", projects.toString(), "--project",
        LocalStack.DEMO, "--local", "--spot", "--recover", "--follow", "--poll-interval-ms", "500"));
    args.addAll(List.of(extra));
    return Shell.amiCommand(args.toArray(String[]::new));
  }

  static Shell.Result launch(Path projects, String... extra) {
    return Shell.run(launchCommand(projects, extra), local.environment(), Duration.ofMinutes(10));
  }

  /** The run's instances in the emulator, in launch order. */
  static List<Instance> instancesOf(String run) {
    return local.aws.ec2().describeInstancesPaginator(b -> b.filters(f -> f.name("tag:" + Tags.RUN).values(run)))
        .reservations().stream().flatMap(r -> r.instances().stream())
        .sorted(Comparator.comparing(Instance::launchTime).thenComparing(Instance::instanceId)).toList();
  }

  static List<Instance> runningInstancesOf(String run) {
    return instancesOf(run).stream()
        .filter(i -> List.of("pending", "running", "stopping", "shutting-down").contains(i.state().nameAsString()))
        .toList();
  }

  /** The run's fleets that EC2 would still keep (DescribeFleets has no tag filter). */
  static List<FleetData> activeFleetsOf(String run) {
    return local.aws.ec2().describeFleetsPaginator(b -> { }).fleets().stream()
        .filter(f -> run.equals(Ec2Tags.toMap(f.tags()).get(Tags.RUN)))
        .filter(f -> !f.fleetStateAsString().startsWith("deleted")).toList();
  }

  /** The instance's exit status in short: reason and attempt. */
  static String end(String run, Instance instance) {
    JsonNode status = exitStatus(run, instance);
    return status.get("reason").asText() + ", attempt " + status.get("attempt").asInt();
  }

  static JsonNode exitStatus(String run, Instance instance) {
    try {
      return Json.OUTPUT.readTree(local.s3Text("runs/demo/" + run + "/" + instance.instanceId() + "/exit-status.json"));
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /**
   * The run's end everywhere: its fleet deleted in the emulator (or gone), none of its instances
   * running there, and on this host no container of its instances, no machine folder, no
   * process or mount of our machines.
   */
  static void assertNothingLeftOf(String run) {
    List<FleetData> fleets = local.aws.ec2().describeFleetsPaginator(b -> { }).fleets().stream()
        .filter(f -> run.equals(Ec2Tags.toMap(f.tags()).get(Tags.RUN))).toList();
    assertThat(fleets).as("the run's fleet").allSatisfy(f -> assertThat(f.fleetStateAsString()).startsWith("deleted"));
    assertThat(runningInstancesOf(run)).as("instances of the run in the emulator").isEmpty();
    // A container is named after its instance (machinectl needs systemd as PID 1, which this host may lack).
    assertThat(instancesOf(run)).as("containers of the run's instances")
        .allSatisfy(i -> assertThat(Leftovers.mentioning(i.instanceId())).isEmpty());
    assertThat(local.machineFolders()).as("machine folders").isEmpty();
    assertThat(Leftovers.mentioning(local.state.toString())).as("processes of our machines").isEmpty();
    assertThat(Leftovers.mounts(local.state.toString())).as("mounts of our machines").isEmpty();
  }
}
