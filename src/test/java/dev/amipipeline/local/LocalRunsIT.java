package dev.amipipeline.local;

import static dev.amipipeline.local.LocalStack.instanceIdIn;
import static dev.amipipeline.local.LocalStack.read;
import static dev.amipipeline.local.LocalStack.runIdIn;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.amipipeline.common.Json;
import dev.amipipeline.launch.InstanceHost;
import dev.amipipeline.results.JobResult;
import dev.amipipeline.results.ResultFolder;
import dev.amipipeline.testing.Await;
import dev.amipipeline.testing.Shell;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.InstanceAttributeName;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Runs end to end on local instances, as a user drives them from two terminals: a run cancelled
 * with {@code ami cancel} while {@code ami launch --local} holds its container, and a run that
 * goes on from its checkpoint on a second instance after a spot interruption. The demo image is
 * the one {@link LocalStack} bakes once for every local test class.
 */
class LocalRunsIT {

  /**
   * Trains "epochs" (one every half second), saving each in the checkpoint folder, and goes on after
   * the last one saved. Attempt 1 trains until it is stopped (SIGTERM: it says so and exits 143); a
   * later attempt trains 3 more epochs and is done.
   */
  static final String TRAINS = """
      #!/bin/bash
      cd "$AMI_CHECKPOINT_DIR"
      epoch=$(cat epoch 2>/dev/null || echo 0)
      echo "attempt $AMI_ATTEMPT of run $AMI_RUN_ID; checkpoint: $(ls | tr '\\n' ' ')(epoch $epoch)"
      trap 'echo "SIGTERM after epoch $epoch: checkpoint saved"; exit 143' TERM
      last=$(( AMI_ATTEMPT == 1 ? 1000000 : epoch + 3 ))
      while (( epoch < last )); do
        sleep 0.5 &
        wait $!
        epoch=$((epoch + 1))
        echo "$epoch" >epoch
        echo "epoch $epoch"
      done
      echo "trained $epoch epochs"
      """;

  @RegisterExtension static final LocalStack local = new LocalStack();
  @TempDir static Path tmp;

  @BeforeAll
  static void bakeTheDemoProject() {
    local.bakedDemo();
  }

  @Test
  void aCancelFromAnotherTerminalStopsTheJobInOrderAndEndsTheLaunchWithItsCode() throws Exception {
    local.jobs.publish(TRAINS);
    Path out = tmp.resolve("cancelled.out");
    Path err = tmp.resolve("cancelled.err");
    Process launch = Shell.start(local.amiCommand("launch", "--project", LocalStack.DEMO, "--local", "--follow",
        "--poll-interval-ms", "500"), local.environment(), out, err);
    String run;
    try {
      Await.until("the job's first epochs in the followed log", Duration.ofMinutes(3),
          () -> read(out).contains("epoch 2") || !launch.isAlive());
      run = runIdIn(read(out));

      Shell.Result cancel = local.ami("cancel", run);

      assertThat(cancel.exitCode()).as(cancel.err()).isZero();
      assertThat(cancel.out()).contains("cancelled run " + run);
      assertThat(launch.waitFor(4, TimeUnit.MINUTES)).as("the launch ends: %s", read(err)).isTrue();
    } finally {
      Shell.stop(launch);
    }

    String instanceId = instanceIdIn(read(out));
    assertThat(read(err)).contains(instanceId + " is terminated in the emulator: halting it");
    assertThat(read(out)).as("followed to the end").contains("SIGTERM after epoch", "exit code 143 (cancelled)");
    assertThat(launch.exitValue()).as("the job's own code after SIGTERM").isEqualTo(143);
    String results = local.resultsOf(LocalStack.DEMO, instanceId);
    JsonNode status = Json.OUTPUT.readTree(local.s3Text(results + "exit-status.json"));
    assertThat(status.get("reason").asText()).isEqualTo("cancelled");
    assertThat(local.s3Text(results + "job.log")).contains("SIGTERM after epoch");
    assertThat(checkpoint(run)).as("saved after the SIGTERM").containsExactly("epoch");
    assertThat(Json.OUTPUT.readTree(local.s3Text("runs/demo/" + run + "/run.json")).get("state").asText())
        .isEqualTo("cancelled");
    assertThat(runsRow(run).get("state").asText()).isEqualTo("cancelled");
    assertThat(instance(instanceId).state().nameAsString()).isEqualTo("terminated");
  }

  @Test
  void aSecondInstanceOfTheRunResumesFromTheCheckpointTheSpotInterruptedOneSaved() throws IOException {
    local.jobs.publish(TRAINS);

    Shell.Result first = local.ami("launch", "--project", LocalStack.DEMO, "--local", "--spot",
        "--spot-interrupt-after", "3s", "--follow", "--poll-interval-ms", "500");

    String firstId = instanceIdIn(first.out());
    String run = runIdIn(first.out());
    String results = local.resultsOf(LocalStack.DEMO, firstId);
    JsonNode status = Json.OUTPUT.readTree(local.s3Text(results + "exit-status.json"));
    assertThat(status.get("reason").asText()).isEqualTo("spot-interruption");
    assertThat(status.get("exitCode").asInt()).as("the job's own code after SIGTERM").isEqualTo(143);
    assertThat(local.s3Text(results + "job.log")).contains("attempt 1 of run " + run, "SIGTERM after epoch");
    assertThat(first.out()).as("followed").contains("attempt 1 of run " + run, "SIGTERM after epoch",
        "exit code 143 (spot-interruption)");
    assertThat(first.exitCode()).isEqualTo(143);
    assertThat(checkpoint(run)).containsExactly("epoch");
    String savedEpoch = local.s3Text("runs/demo/" + run + "/checkpoint/epoch").strip();

    // A second instance of the run, as recovery starts one: the first one's tags, booted here.
    Instance previous = instance(firstId);
    String userData = local.aws.ec2().describeInstanceAttribute(b -> b.instanceId(firstId)
        .attribute(InstanceAttributeName.USER_DATA)).userData().value();
    List<String> lines = Collections.synchronizedList(new ArrayList<>());
    PrintWriter progress = new PrintWriter(System.err, true);
    JobResult second = new LocalLaunch(new LocalPaths(tmp.resolve("unused-cache"), local.state), progress,
        Clock.systemUTC()).runAttempt(local.aws, NewAttempt.like(previous, userData, false),
        new InstanceHost.Job(new ResultFolder(LocalStack.BUCKET, results), true, null,
            Duration.ofMillis(500)), lines::add);

    assertThat(second.exitStatus()).isNotNull();
    assertThat(second.instanceId()).isNotEqualTo(firstId);
    assertThat(second.exitStatus().reason()).isEqualTo("exited");
    assertThat(second.jobExitCode()).isZero();
    assertThat(second.exitStatus().attempt()).isEqualTo(2);
    assertThat(second.exitStatus().runId()).isEqualTo(run);
    int resumed = Integer.parseInt(savedEpoch);
    assertThat(lines).as("restored, then on from there").contains(
        "attempt 2 of run " + run + "; checkpoint: epoch (epoch " + resumed + ")", "epoch " + (resumed + 1),
        "trained " + (resumed + 3) + " epochs");
    assertThat(instance(second.instanceId()).tags()).as("the run's tags").anyMatch(t ->
        t.key().equals("ami-pipeline:run") && t.value().equals(run));
    JsonNode row = runsRow(run);
    assertThat(row.get("state").asText()).isEqualTo("succeeded");
    assertThat(row.get("attempts").asInt()).isEqualTo(2);
  }

  // --- reading what the runs left ---

  /** The names of the files in the run's checkpoint folder in S3. */
  static List<String> checkpoint(String run) {
    String prefix = "runs/demo/" + run + "/checkpoint/";
    return local.aws.s3(local.aws.region()).listObjectsV2Paginator(b -> b.bucket(LocalStack.BUCKET).prefix(prefix))
        .contents().stream().map(S3Object::key).map(k -> k.substring(prefix.length())).toList();
  }

  /** The run's row of {@code ami runs --output json}. */
  static JsonNode runsRow(String run) {
    return local.runsRow(LocalStack.DEMO, run);
  }

  static Instance instance(String instanceId) {
    return local.instance(instanceId);
  }
}
