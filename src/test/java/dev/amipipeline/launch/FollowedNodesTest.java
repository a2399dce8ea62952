package dev.amipipeline.launch;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.amipipeline.common.Json;
import dev.amipipeline.results.ExitStatus;
import dev.amipipeline.results.JobResult;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How a followed run of several nodes ends: one line per node, the launch with its jobs in JSON, one exit code. */
class FollowedNodesTest {

  private static final String RUN = "demo-20261202-101500-3fa9";
  private static final String A = "i-0aaaaaaaaaaaaaaa1";
  private static final String B = "i-0bbbbbbbbbbbbbbb2";

  private static JobResult job(String instanceId, Integer exitCode) {
    String log = "s3://logs/runs/demo/" + RUN + "/" + instanceId + "/job.log";
    return exitCode == null ? new JobResult(instanceId, log, null, "terminated")
        : new JobResult(instanceId, log, new ExitStatus(exitCode, "exited",
            "2026-12-02T10:15:00Z", "2026-12-02T10:16:00Z", instanceId, "ami-12345678", RUN, 1, "t3.micro"), "running");
  }

  private static FollowedNodes followed(JobResult... jobs) {
    LaunchReport launch = new LaunchReport(RUN, "demo", "ami-12345678", null, "fleet-0123abcd-0000-0000-0000-000000000000",
        2, List.of(new LaunchedInstance(A, "t3.micro", "us-east-1a", null, "on-demand", "running", null, "10.0.0.9"),
            new LaunchedInstance(B, "t3.micro", "us-east-1a", null, "on-demand", "running", null, "10.0.0.10")),
        List.of(), List.of(), null);
    return new FollowedNodes(launch, List.of(jobs));
  }

  @Test
  void theCodeIsZeroOnlyWhenEveryNodesJobExitedZero() {
    assertThat(followed(job(A, 0), job(B, 0)).jobExitCode()).isZero();
    assertThat(followed(job(A, 0), job(B, 3)).jobExitCode()).isEqualTo(3);
    assertThat(followed(job(A, 2), job(B, 3)).jobExitCode()).as("the first non-zero, in the nodes' order")
        .isEqualTo(2);
    assertThat(followed(job(A, 0), job(B, null)).jobExitCode()).as("a node gone without an exit status").isEqualTo(1);
  }

  @Test
  void textIsEachNodesEndAndJsonIsTheLaunchWithItsJobs() throws Exception {
    FollowedNodes done = followed(job(A, 0), job(B, 3));

    assertThat(done.toText().lines()).containsExactly(
        "job on " + A + " ended: exit code 0 (exited); log: s3://logs/runs/demo/" + RUN + "/" + A + "/job.log",
        "job on " + B + " ended: exit code 3 (exited); log: s3://logs/runs/demo/" + RUN + "/" + B + "/job.log");
    JsonNode json = Json.OUTPUT.readTree(Json.write(done));
    assertThat(json.get("runId").asText()).isEqualTo(RUN);
    assertThat(json.get("instances")).hasSize(2);
    assertThat(json.has("launch")).as("unwrapped").isFalse();
    assertThat(json.get("jobs").get(0).get("instanceId").asText()).isEqualTo(A);
    assertThat(json.get("jobs").get(1).get("instanceId").asText()).isEqualTo(B);
    assertThat(json.get("jobs").get(1).get("exitStatus").get("exitCode").asInt()).isEqualTo(3);
  }
}
