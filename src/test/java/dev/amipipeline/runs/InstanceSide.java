package dev.amipipeline.runs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.amipipeline.common.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Writes a run's results to S3 as the instance side's contract says (RUNS.md: exit-status.json,
 * job.log, first-boot.log under {@code <logUri>/<P>/<run-id>/<instance-id>/}, and run.json made from
 * the exit statuses found under the run's folder), and the old layout an earlier first-boot wrote. A
 * stand-in for first-boot in the CLI's tests of runs, logs and cancel; the end-to-end tests boot the
 * real one.
 */
public final class InstanceSide {

  /** One instance's end, as its exit-status.json says. */
  public record End(int exitCode, String reason, int attempt, Instant startedAt, Instant endedAt) {}

  private final S3Client s3;
  private final String bucket;
  private final String projectPrefix;

  /** @param projectPrefix {@code <logUri's prefix>/<project>/}, e.g. {@code runs/demo/} */
  public InstanceSide(S3Client s3, String bucket, String projectPrefix) {
    this.s3 = s3;
    this.bucket = bucket;
    this.projectPrefix = projectPrefix;
  }

  /** What first-boot uploads during the job: the logs so far. */
  public void uploadLog(String run, String instanceId, String jobLog) {
    put(projectPrefix + run + "/" + instanceId + "/job.log", jobLog);
  }

  /**
   * What first-boot uploads when its job ends: the logs (no job.log when the job never started), then
   * exit-status.json; then, when this end ends the run, run.json from every exit status in the run's
   * folder.
   */
  public void ended(String run, String instanceId, String instanceType, String jobLog, End end, int nodes) {
    String folder = projectPrefix + run + "/" + instanceId + "/";
    put(folder + "first-boot.log", "first-boot: run " + run + " attempt " + end.attempt() + "\n");
    if (jobLog != null) {
      put(folder + "job.log", jobLog);
    }
    ObjectNode status = Json.OUTPUT.createObjectNode().put("exitCode", end.exitCode()).put("reason", end.reason())
        .put("startedAt", end.startedAt().toString()).put("endedAt", end.endedAt().toString())
        .put("instanceId", instanceId).put("amiId", "ami-12345678").put("runId", run).put("attempt", end.attempt())
        .put("instanceType", instanceType);
    put(folder + "exit-status.json", Json.write(status));
    if (!"spot-interruption".equals(end.reason())) {
      writeSummary(run, nodes);
    }
  }

  /** An earlier first-boot's results: straight under the project, an exit status without run fields. */
  public void endedInTheOldLayout(String instanceId, String jobLog, int exitCode, Instant startedAt, Instant endedAt) {
    String folder = projectPrefix + instanceId + "/";
    put(folder + "job.log", jobLog);
    put(folder + "first-boot.log", "first-boot: project demo\n");
    put(folder + "exit-status.json", Json.write(Json.OUTPUT.createObjectNode().put("exitCode", exitCode)
        .put("reason", "exited").put("startedAt", startedAt.toString()).put("endedAt", endedAt.toString())
        .put("instanceId", instanceId).put("amiId", "ami-12345678")));
  }

  private void writeSummary(String run, int nodes) {
    String runFolder = projectPrefix + run + "/";
    List<JsonNode> statuses = new ArrayList<>();
    for (S3Object o : s3.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(runFolder)).contents()) {
      if (o.key().endsWith("/exit-status.json")) {
        statuses.add(read(o.key()));
      }
    }
    int attempts = statuses.stream().mapToInt(s -> s.path("attempt").asInt(1)).max().orElse(1);
    ObjectNode summary = Json.OUTPUT.createObjectNode().put("runId", run).put("project", "demo")
        .put("state", statuses.stream().allMatch(s -> s.path("exitCode").asInt() == 0) ? "succeeded" : "failed");
    summary.put("startedAt", statuses.stream().map(s -> s.path("startedAt").asText()).sorted().findFirst().orElse(""));
    summary.put("endedAt", statuses.stream().map(s -> s.path("endedAt").asText()).sorted()
        .reduce((a, b) -> b).orElse(""));
    summary.put("nodes", nodes).put("attempts", attempts);
    ArrayNode instances = summary.putArray("instances");
    for (JsonNode s : statuses) {
      instances.addObject().put("instanceId", s.path("instanceId").asText())
          .put("instanceType", s.path("instanceType").asText()).put("attempt", s.path("attempt").asInt())
          .put("exitCode", s.path("exitCode").asInt()).put("reason", s.path("reason").asText())
          .put("startedAt", s.path("startedAt").asText()).put("endedAt", s.path("endedAt").asText());
    }
    put(runFolder + "run.json", Json.write(summary));
  }

  private JsonNode read(String key) {
    try {
      return Json.OUTPUT.readTree(s3.getObjectAsBytes(b -> b.bucket(bucket).key(key)).asByteArray());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public void put(String key, String body) {
    s3.putObject(b -> b.bucket(bucket).key(key), RequestBody.fromString(body));
  }
}
