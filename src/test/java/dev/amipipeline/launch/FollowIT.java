package dev.amipipeline.launch;

import static org.assertj.core.api.Assertions.assertThat;

import dev.amipipeline.testing.Await;
import dev.amipipeline.testing.Cli;
import dev.amipipeline.testing.MotoServer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * {@code --follow} against the emulator's S3: the test plays the instance, uploading the log in
 * growing pieces and then the exit status, while the command follows in another thread.
 */
class FollowIT extends EmulatedAws {

  private static final String BUCKET = "ami-pipeline-demo-logs"; // demo's run.logUri: s3://ami-pipeline-demo-logs/runs

  private S3Client s3;

  @BeforeEach
  void bakeAndMakeTheLogBucket() {
    s3 = aws.s3(aws.region());
    Bakes.bake(aws, "demo");
    s3.createBucket(b -> b.bucket(BUCKET));
  }

  @Test
  void printsEachNewLineOnceAndExitsWithTheJobsExitCode(MotoServer moto) throws Exception {
    AwsCallLog.start();
    CompletableFuture<Cli.Result> following = follow(moto);
    String prefix = "runs/demo/" + awaitInstance().instanceId() + "/";

    put(prefix + "job.log", "cloning repo\nrunning tra");
    awaitPolls(2);
    put(prefix + "job.log", "cloning repo\nrunning training\nepoch 1 loss 0.5\n");
    awaitPolls(2);
    put(prefix + "job.log", "cloning repo\nrunning training\nepoch 1 loss 0.5\nepoch 2 loss 0.3\ndone");
    put(prefix + "exit-status.json", """
        {"exitCode": 3, "reason": "exited", "startedAt": "2025-01-01T00:00:00Z", "endedAt": "2025-01-01T00:05:00Z",
         "instanceId": "i-x", "amiId": "ami-x", "addedLater": true}""");
    Cli.Result r = following.get(2, TimeUnit.MINUTES);

    assertThat(r.exitCode()).as(r.err()).isEqualTo(3);
    List<String> lines = r.out().lines().toList();
    int first = lines.indexOf("cloning repo");
    assertThat(first).as(r.out()).isPositive(); // after the instance table
    assertThat(lines.subList(first, first + 5))
        .containsExactly("cloning repo", "running training", "epoch 1 loss 0.5", "epoch 2 loss 0.3", "done");
    assertThat(lines).doesNotContain("running tra"); // a half line waits for its end
    assertThat(lines.get(lines.size() - 1)).startsWith("job on i-").contains("exit code 3 (exited)",
        "s3://" + BUCKET + "/" + prefix + "job.log");
    // Each poll asked only for the bytes after what it had printed.
    assertThat(AwsCallLog.count("S3:GetObject")).isGreaterThanOrEqualTo(5);
  }

  @Test
  void instanceEndingWithoutExitStatusIsExitOneWithWhereTheLogIs(MotoServer moto) throws Exception {
    CompletableFuture<Cli.Result> following = follow(moto);
    Instance instance = awaitInstance();
    put("runs/demo/" + instance.instanceId() + "/job.log", "setting up\n");

    aws.ec2().terminateInstances(b -> b.instanceIds(instance.instanceId()));
    Cli.Result r = following.get(2, TimeUnit.MINUTES);

    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.out()).contains("setting up", "instance " + instance.instanceId() + " is terminated",
        "left no exit status");
  }

  @Test
  void jsonFollowKeepsStdoutOneObjectAndStreamsTheLogOnStderr(MotoServer moto) throws Exception {
    CompletableFuture<Cli.Result> following = follow(moto, "--output", "json");
    String prefix = "runs/demo/" + awaitInstance().instanceId() + "/";
    put(prefix + "job.log", "hello\n");
    put(prefix + "exit-status.json", "{\"exitCode\": 0, \"reason\": \"exited\"}");

    Cli.Result r = following.get(2, TimeUnit.MINUTES);

    assertThat(r.exitCode()).as(r.err()).isZero();
    var json = dev.amipipeline.common.Json.STRICT.readTree(r.out());
    assertThat(json.path("job").path("exitStatus").path("exitCode").asInt()).isZero();
    assertThat(r.err()).contains("hello");
  }

  private CompletableFuture<Cli.Result> follow(MotoServer moto, String... more) {
    List<String> args = new java.util.ArrayList<>(List.of("launch", "--project", "demo", "--follow",
        "--poll-interval-ms", "50"));
    args.addAll(List.of(more));
    return CompletableFuture.supplyAsync(() -> Cli.run(moto, args.toArray(String[]::new)));
  }

  private Instance awaitInstance() {
    Await.until("the launch", Duration.ofMinutes(1), () -> !Bakes.instances(aws).isEmpty());
    return Bakes.instances(aws).get(0);
  }

  /** Waits until the follower has read the log {@code n} more times, so it has seen what was put. */
  private void awaitPolls(int n) {
    long target = AwsCallLog.count("S3:GetObject") + 2L * n; // each poll reads job.log and exit-status.json
    Await.until(n + " polls", Duration.ofMinutes(1), () -> AwsCallLog.count("S3:GetObject") >= target);
  }

  private void put(String key, String body) {
    s3.putObject(b -> b.bucket(BUCKET).key(key), RequestBody.fromString(body));
  }
}
