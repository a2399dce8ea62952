package dev.amipipeline.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.amipipeline.aws.AwsClients;
import dev.amipipeline.aws.AwsSettings;
import dev.amipipeline.common.Json;
import dev.amipipeline.launch.Bakes;
import dev.amipipeline.local.MetadataService;
import dev.amipipeline.project.RunConfig;
import dev.amipipeline.testing.Cli;
import dev.amipipeline.testing.FaultProxy;
import dev.amipipeline.testing.MotoExtension;
import dev.amipipeline.testing.MotoServer;
import dev.amipipeline.testing.Shell;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.retries.api.BackoffStrategy;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.InstanceLifecycleType;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.s3.waiters.S3Waiter;
import software.amazon.awssdk.services.ssm.model.ParameterType;

/**
 * launcher/first-boot as the instance runs it: the metadata stand-in of local mode (IMDSv2 tokens
 * only; the instance tagged with its run id, as ami launch tags it), a real moto_server for SSM and
 * S3 (through the AWS CLI, as on the instance), a local git repository as the project's repo,
 * AMI_ROOT pointing into a temp dir, AMI_POWEROFF at a script that records calls and AMI_CONSOLE
 * at a file.
 */
@ExtendWith(MotoExtension.class)
class FirstBootIT {

  static final Path FIRST_BOOT = Shell.REPO.resolve("launcher/first-boot");
  static final String PROJECT = "demo";
  static final String INSTANCE_ID = "i-0f1e2d3c4b5a69788";
  static final String AMI_ID = "ami-0123456789abcdef0";
  static final String BUCKET = "ami-pipeline-test-logs";
  static final String LOG_URI = "s3://" + BUCKET + "/runs";
  static final String RUN_ID = "demo-20261202-101500-3fa9";
  /** The run's folder: the instances' folders, run.json and checkpoint/. */
  static final String RUN = "runs/" + PROJECT + "/" + RUN_ID + "/";
  static final String RESULTS = RUN + INSTANCE_ID + "/";
  static final String USER_DATA = "AMI_PROJECT=" + PROJECT + "\n";
  static final String PRIVATE_IP = "10.0.0.5";

  /** exit-status.json exactly as the contract has it: read strictly, so an extra field fails. */
  record ExitStatus(int exitCode, String reason, String startedAt, String endedAt, String instanceId, String amiId,
      String runId, int attempt, String instanceType, String market) {}

  /** run.json exactly as the contract has it. */
  record RunSummary(String runId, String project, String state, String startedAt, String endedAt, int nodes,
      int attempts, List<RunInstance> instances) {}

  record RunInstance(String instanceId, String instanceType, String market, int attempt, int exitCode, String reason,
      String startedAt, String endedAt) {}

  @TempDir Path tmp;
  Path root;
  Path powerOffCalls;
  JobRepo repo;
  MetadataService imds;
  AwsClients aws;
  MotoServer moto;

  @BeforeEach
  void setUp(MotoServer moto) throws IOException {
    this.moto = moto;
    root = Files.createDirectories(tmp.resolve("root"));
    Files.createDirectories(root.resolve("etc/ami-pipeline"));
    Files.writeString(root.resolve("etc/ami-pipeline/env"), "AMI_SSM_PREFIX=/ami-pipeline\n");
    powerOffCalls = tmp.resolve("poweroff.calls");
    Path powerOff = tmp.resolve("poweroff");
    Files.writeString(powerOff, "#!/bin/sh\necho \"poweroff $*\" >> '" + powerOffCalls + "'\n");
    Files.setPosixFilePermissions(powerOff, PosixFilePermissions.fromString("rwxr-xr-x"));
    repo = JobRepo.create(tmp);
    imds = instance(INSTANCE_ID);
    aws = AwsClients.create(new AwsSettings(MotoServer.REGION, null, moto.endpoint()));
    s3().createBucket(b -> b.bucket(BUCKET));
  }

  @AfterEach
  void tearDown() {
    imds.close();
    aws.close();
  }

  /** The metadata of an instance of the run (as ami launch starts it: tagged, type t3.micro). */
  static MetadataService instance(String instanceId) {
    MetadataService imds = MetadataService.start(instanceId, MotoServer.REGION, AMI_ID);
    imds.userData(USER_DATA);
    imds.instanceType("t3.micro");
    imds.market("spot");
    imds.localIpv4(PRIVATE_IP);
    imds.tag("ami-pipeline:run", RUN_ID);
    return imds;
  }

  /** The metadata of an instance moto started: its id, type, private address and tags. */
  static MetadataService metadataOf(Instance instance) {
    MetadataService imds = MetadataService.start(instance.instanceId(), MotoServer.REGION, AMI_ID);
    imds.userData(USER_DATA);
    imds.instanceType(instance.instanceTypeAsString());
    imds.market(instance.instanceLifecycle() == InstanceLifecycleType.SPOT ? "spot" : "on-demand");
    imds.localIpv4(instance.privateIpAddress());
    instance.tags().forEach(t -> imds.tag(t.key(), t.value()));
    return imds;
  }

  @Test
  void aJobRunsWithItsOutputInTheJournalTheFileAndS3ThenPowersOff() throws IOException {
    putRunConfig(run("./hello.sh", Map.of("GREETING", "hello-from-the-run-config")));

    Shell.Result result = boot(Map.of());

    assertThat(result.exitCode()).as(result.out()).isZero();
    String jobLog = Files.readString(jobLog());
    assertThat(jobLog).contains("hello from demo on " + INSTANCE_ID + " as root",
        "greeting: hello-from-the-run-config", "to stderr",
        "work dir: " + root.resolve("var/lib/ami-pipeline/work/demo"));
    assertThat(result.out()).as("the journal gets the job's output too").contains("greeting: hello-from-the-run-config");
    assertThat(s3Text(RESULTS + "job.log")).isEqualTo(jobLog);
    assertThat(s3Text(RESULTS + "first-boot.log")).contains("checked out main at " + repo.mainCommit());

    ExitStatus status = exitStatus();
    assertThat(status.exitCode()).isZero();
    assertThat(status.reason()).isEqualTo("exited");
    assertThat(status.instanceId()).isEqualTo(INSTANCE_ID);
    assertThat(status.amiId()).isEqualTo(AMI_ID);
    assertThat(status.runId()).isEqualTo(RUN_ID);
    assertThat(status.attempt()).isEqualTo(1);
    assertThat(status.instanceType()).isEqualTo("t3.micro");
    assertThat(status.market()).as("from meta-data/instance-life-cycle").isEqualTo("spot");
    assertThat(Instant.parse(status.endedAt())).isAfterOrEqualTo(Instant.parse(status.startedAt()));
    assertThat(Files.readString(jobLog())).contains("run " + RUN_ID + ", attempt 1, checkpoints in , gpus 0",
        "node 0 of 1, master " + PRIVATE_IP + ", nodes " + PRIVATE_IP);

    RunSummary summary = runSummary();
    assertThat(summary).isEqualTo(new RunSummary(RUN_ID, PROJECT, "succeeded", status.startedAt(), status.endedAt(), 1,
        1, List.of(new RunInstance(INSTANCE_ID, "t3.micro", "spot", 1, 0, "exited", status.startedAt(),
            status.endedAt()))));
    assertThat(s3Keys()).containsExactlyInAnyOrder(RUN + "run.json", RESULTS + "exit-status.json", RESULTS + "job.log",
        RESULTS + "first-boot.log");

    assertThat(Files.readAllLines(powerOffCalls)).as("AMI_POWEROFF is a command line").containsExactly("poweroff --no-wall");
    assertThat(root.resolve("var/lib/ami-pipeline/done")).exists();
    assertThat(imds.refusedRequests()).as("every metadata request carried the token").isZero();

    List<String> steps = result.out().lines().filter(l -> l.contains(" first-boot: ")).toList();
    assertThat(steps).hasSizeGreaterThanOrEqualTo(6)
        .allSatisfy(l -> assertThat(l).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z first-boot: .+"));
    assertThat(String.join("\n", steps)).contains("project demo", "instance " + INSTANCE_ID + " (t3.micro, " + PRIVATE_IP + ")",
        "run " + RUN_ID + " (instance tag ami-pipeline:run)", "reading the run configuration /ami-pipeline/demo/run",
        "attempt 1 of run " + RUN_ID + "; results go to s3://" + BUCKET + "/" + RESULTS, "cloning",
        "running the job as root", "the job exited with code 0", "uploaded exit-status.json", "uploaded run.json",
        "powering off");
    assertThat(Files.readString(console())).as("every step line on the console too").isEqualTo(
        steps.stream().map(l -> l + "\n").collect(java.util.stream.Collectors.joining()));
  }

  @Test
  void withoutTheRunTagTheRunIdIsTheInstanceId() throws IOException {
    imds.tag("ami-pipeline:run", null);
    putRunConfig(run("./hello.sh", Map.of()));

    Shell.Result result = boot(Map.of());

    assertThat(result.exitCode()).as(result.out()).isZero();
    assertThat(result.out()).contains("no instance tag ami-pipeline:run in the metadata", "run id = the instance id");
    String results = "runs/demo/" + INSTANCE_ID + "/" + INSTANCE_ID + "/";
    assertThat(s3Keys()).contains(results + "job.log", "runs/demo/" + INSTANCE_ID + "/run.json");
    ExitStatus status = Json.STRICT.readValue(s3Text(results + "exit-status.json"), ExitStatus.class);
    assertThat(status.runId()).isEqualTo(INSTANCE_ID);
    assertThat(status.reason()).isEqualTo("exited");
  }

  @Test
  void withoutKeysInTheEnvironmentTheInstanceRolesCredentialsAreUsed() throws IOException {
    putRunConfig(run("./hello.sh", Map.of("GREETING", "signed-with-the-role")));
    imds.instanceRole("ami-pipeline-demo", MotoServer.ACCESS_KEY, MotoServer.SECRET_KEY, "role-session-token");
    Map<String, String> env = bootEnvironment(Map.of("AWS_EC2_METADATA_DISABLED", "false"));
    env.remove("AWS_ACCESS_KEY_ID");
    env.remove("AWS_SECRET_ACCESS_KEY");

    Shell.Result result = Shell.run(List.of(FIRST_BOOT.toString()), env, Duration.ofMinutes(2));

    assertThat(result.exitCode()).as(result.out()).isZero();
    assertThat(Files.readString(jobLog())).contains("greeting: signed-with-the-role");
    assertThat(s3Text(RESULTS + "job.log")).contains("greeting: signed-with-the-role");
    assertThat(exitStatus().reason()).isEqualTo("exited");
    assertThat(imds.refusedRequests()).isZero();
  }

  @Test
  void aFailingJobHasItsExitCodeRecordedAndStillPowersOff() throws IOException {
    // The ref may be a commit, too.
    putRunConfig(new RunConfig(repo.url(), repo.mainCommit(), "echo about to fail in $(git rev-parse HEAD); exit 3",
        "root", Map.of(), LOG_URI, true, 0));

    Shell.Result result = boot(Map.of());

    assertThat(result.exitCode()).isEqualTo(1);
    assertThat(s3Text(RESULTS + "job.log")).contains("about to fail in " + repo.mainCommit());
    ExitStatus status = exitStatus();
    assertThat(status.exitCode()).isEqualTo(3);
    assertThat(status.reason()).isEqualTo("exited");
    assertThat(powerOffCount()).isEqualTo(1);
  }

  @Test
  void aSpotTerminationNoticeStopsTheJobUploadsWhatExistsAndPowersOff() throws IOException {
    Path started = tmp.resolve("started");
    putRunConfig(run("./train.sh", Map.of("STARTED", started.toString())));
    imds.spotNoticeWhen(() -> startedMoreThan(started, Duration.ofSeconds(2)));

    Shell.Result interrupted = boot(Map.of());

    assertThat(interrupted.out()).contains("spot interruption notice", "sending SIGTERM to the job");
    assertThat(s3Text(RESULTS + "job.log")).contains("training started", "SIGTERM: saving a checkpoint");
    assertThat(exitStatus().reason()).isEqualTo("spot-interruption");
    // One-time spot requests (what ami launch makes) end in termination: finish it ourselves.
    assertThat(powerOffCount()).isEqualTo(1);
  }

  @Test
  void aSpotStopNoticeStopsTheJobWhichResumesFromItsCheckpointOnTheNextBoot() throws IOException {
    Path started = tmp.resolve("started");
    putRunConfig(run("./train.sh", Map.of("STARTED", started.toString())));
    // The notice comes 2 s into the job; tokens live 1 s, so seeing it takes a fresh token.
    imds.spotNoticeWhen(() -> startedMoreThan(started, Duration.ofSeconds(2)));
    imds.spotAction("stop");
    imds.maxTokenLifetime(Duration.ofSeconds(1));

    Shell.Result interrupted = boot(Map.of());

    assertThat(interrupted.out()).contains("spot interruption notice", "sending SIGTERM to the job");
    assertThat(s3Text(RESULTS + "job.log")).contains("training started", "SIGTERM: saving a checkpoint")
        .doesNotContain("resuming");
    ExitStatus status = exitStatus();
    assertThat(status.reason()).isEqualTo("spot-interruption");
    assertThat(status.exitCode()).isEqualTo(143);
    assertThat(imds.spotNoticesServed()).isEqualTo(1);
    assertThat(imds.tokensIssued()).as("the expired token was replaced").isGreaterThanOrEqualTo(2);
    assertThat(imds.refusedRequests()).as("requests with the expired token").isPositive();
    // EC2 stops the instance itself; powering off would terminate it and lose the checkpoint.
    assertThat(powerOffCount()).isZero();
    assertThat(root.resolve("var/lib/ami-pipeline/done")).doesNotExist();

    imds.spotNoticeWhen(() -> false);
    Shell.Result resumed = boot(Map.of());

    assertThat(resumed.exitCode()).as(resumed.out()).isZero();
    assertThat(resumed.out()).contains("fetching " + repo.url() + " into the existing");
    assertThat(s3Text(RESULTS + "job.log")).contains("SIGTERM: saving a checkpoint", "resuming from epoch-7");
    assertThat(exitStatus().reason()).isEqualTo("exited");
    assertThat(exitStatus().attempt()).as("the spot interruption before counts").isEqualTo(2);
    assertThat(powerOffCount()).isEqualTo(1);
  }

  @Test
  void aJobPastItsTimeoutIsKilledAndRecordedAsTimeout() throws IOException {
    // Fractions of a minute are honoured: 0.05 min = 3 s.
    ObjectNode config = (ObjectNode) Json.OUTPUT.readTree(run("./stubborn.sh", Map.of()).toJson());
    config.put("timeoutMinutes", 0.05);
    putRunConfig(config.toString());

    Shell.Result result = boot(Map.of("AMI_STOP_GRACE_SECONDS", "1"));

    assertThat(result.out()).contains("reached its timeout of 3s", "did not end within 1s of SIGTERM: sending SIGKILL");
    assertThat(s3Text(RESULTS + "job.log")).contains("running until killed", "SIGTERM ignored");
    ExitStatus status = exitStatus();
    assertThat(status.reason()).isEqualTo("timeout");
    assertThat(status.exitCode()).isEqualTo(124);
    assertThat(powerOffCount()).isEqualTo(1);
    assertThat(root.resolve("var/lib/ami-pipeline/done")).exists();
  }

  static Stream<Arguments> userDataThatIsNotOurs() {
    return Stream.of(
        Arguments.of("none", null, "no user-data"),
        Arguments.of("a cloud-init script", "#!/bin/bash\necho hello\n", "has no AMI_PROJECT=<name> line"),
        Arguments.of("a bad project name", "AMI_PROJECT=Bad_Name\n", "AMI_PROJECT='Bad_Name' is not a project name"),
        Arguments.of("an injected path", "AMI_PROJECT=../etc\n", "is not a project name"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("userDataThatIsNotOurs")
  void userDataThatIsNotOursMeansNothingToDo(String what, String userData, String logged) {
    putRunConfig(run("./hello.sh", Map.of()));
    imds.userData(userData);

    Shell.Result result = boot(Map.of());

    assertThat(result.exitCode()).isZero();
    assertThat(result.out()).contains(logged, "nothing to do");
    assertNothingHappened();
  }

  @Test
  void withoutAMetadataServiceItDoesNothing() throws IOException {
    int closedPort;
    try (ServerSocket s = new ServerSocket(0)) {
      closedPort = s.getLocalPort();
    }
    putRunConfig(run("./hello.sh", Map.of()));

    Shell.Result result = boot(Map.of("AMI_IMDS_ENDPOINT", "http://127.0.0.1:" + closedPort));

    assertThat(result.exitCode()).isZero();
    assertThat(result.out()).contains("no instance metadata service", "nothing to do");
    assertNothingHappened();
  }

  @Test
  void aSecondBootAfterAFinishedJobDoesNothing() throws IOException {
    putRunConfig(run("./hello.sh", Map.of()));
    assertThat(boot(Map.of()).exitCode()).isZero();
    String firstLog = Files.readString(jobLog());
    emptyBucket();

    Shell.Result again = boot(Map.of());

    assertThat(again.exitCode()).isZero();
    assertThat(again.out()).contains("already finished on an earlier boot");
    assertThat(Files.readString(jobLog())).isEqualTo(firstLog);
    assertThat(s3Keys()).isEmpty();
    assertThat(powerOffCount()).isEqualTo(1);
  }

  @Test
  void envValuesCanBeSecureStringReferencesResolvedWithoutLoggingThem() throws IOException {
    aws.ssm().putParameter(b -> b.name("/ml/secrets/token").type(ParameterType.SECURE_STRING).value("s3cr3t-v@lue"));
    Path expected = Files.writeString(tmp.resolve("expected-token"), "s3cr3t-v@lue");
    putRunConfig(run("test \"$TOKEN\" = \"$(cat " + expected + ")\" && echo token-ok; echo \"plain=$PLAIN\"",
        Map.of("TOKEN", "ssm:/ml/secrets/token", "PLAIN", "as-is")));

    Shell.Result result = boot(Map.of());

    assertThat(result.exitCode()).as(result.out()).isZero();
    assertThat(Files.readString(jobLog())).contains("token-ok", "plain=as-is");
    assertThat(result.out()).contains("env TOKEN: resolved from SSM").doesNotContain("s3cr3t-v@lue");
    assertThat(s3Text(RESULTS + "first-boot.log")).doesNotContain("s3cr3t-v@lue");
  }

  static Stream<Arguments> setupFailures() {
    return Stream.of(
        Arguments.of("a ref the repo does not have", Map.of("ref", "no-such-branch"),
            "error: getting %s at 'no-such-branch' failed"),
        Arguments.of("a user the image does not have", Map.of("user", "no-such-user"),
            "error: user 'no-such-user' does not exist on this image"),
        Arguments.of("a negative timeout", Map.of("timeoutMinutes", -5),
            "error: timeoutMinutes '-5' is not a number of minutes"),
        Arguments.of("a secret that is not there", Map.of("env", Map.of("TOKEN", "ssm:/ml/secrets/missing")),
            "error: env TOKEN: reading the SSM parameter /ml/secrets/missing failed"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("setupFailures")
  void aSetupFailureIsReportedAndPowersOffAndALaterBootTriesAgain(String what, Map<String, Object> change,
      String logged) throws IOException {
    ObjectNode config = (ObjectNode) Json.OUTPUT.readTree(run("./hello.sh", Map.of()).toJson());
    config.setAll((ObjectNode) Json.OUTPUT.valueToTree(change));
    putRunConfig(config.toString());

    Shell.Result result = boot(Map.of());

    assertThat(result.exitCode()).isEqualTo(1);
    ExitStatus status = exitStatus();
    assertThat(status.reason()).isEqualTo("setup-failed");
    assertThat(status.exitCode()).isEqualTo(125);
    assertThat(s3Text(RESULTS + "first-boot.log")).contains(logged.formatted(repo.url()));
    assertThat(s3Keys()).doesNotContain(RESULTS + "job.log");
    assertThat(powerOffCount()).isEqualTo(1);
    assertThat(root.resolve("var/lib/ami-pipeline/done")).doesNotExist();
  }

  @Test
  void theJobRunsAsTheConfiguredUserInADirectoryItOwns() throws IOException {
    // The instance runs first-boot as root, and so does this test; 'nobody' exists on every Linux.
    // The ref is a tag.
    putRunConfig(new RunConfig(repo.url(), "v1", "./hello.sh; touch made-by-the-job", "nobody",
        Map.of("GREETING", "hi"), LOG_URI, true, 0));

    Shell.Result result = boot(Map.of());

    assertThat(result.exitCode()).as(result.out()).isZero();
    assertThat(Files.readString(jobLog())).contains("as nobody", "home: /nonexistent", "greeting: hi");
    Path workDir = root.resolve("var/lib/ami-pipeline/work/demo");
    assertThat(Files.getOwner(workDir).getName()).isEqualTo("nobody");
    assertThat(Files.getOwner(workDir.resolve("made-by-the-job")).getName()).isEqualTo("nobody");
  }

  @Test
  void withoutTheRunConfigurationNothingIsUploadedAndTheInstanceStaysUp() {
    Shell.Result result = boot(Map.of());

    assertThat(result.exitCode()).isEqualTo(1);
    assertThat(result.out()).contains("error: reading the SSM parameter /ami-pipeline/demo/run failed");
    assertThat(s3Keys()).isEmpty();
    assertThat(powerOffCount()).isZero();
  }

  @Test
  void aFailedUploadIsRetriedUntilUploadRetryMinutesAndNeverPreventsThePowerOff() throws IOException {
    ObjectNode config = (ObjectNode) Json.OUTPUT.readTree(new RunConfig(repo.url(), "main", "./hello.sh", "root",
        Map.of(), "s3://no-such-bucket/runs", true, 0).toJson());
    // 12 s: room for a second try even when one AWS CLI call takes seconds on a loaded machine.
    config.put("uploadRetryMinutes", 0.2);
    putRunConfig(config.toString());

    Shell.Result result = boot(Map.of());

    String results = "s3://no-such-bucket/runs/demo/" + RUN_ID + "/" + INSTANCE_ID + "/";
    assertThat(result.out()).contains("upload of the logs to " + results + " failed (try 1, exit code 1; trying again in 1s)",
        "NoSuchBucket", "the exit status is only on this instance");
    // The deadline ends the tries of exit-status.json too, after one or more of them.
    assertThat(result.out()).containsPattern("upload of exit-status.json to " + Pattern.quote(results)
        + " failed \\(try \\d+, exit code 1; no time left to try again\\)");
    assertThat(powerOffCount()).isEqualTo(1);
  }

  @Test
  void anUploadThatFailsTwiceIsRetriedAndEachErrorIsLogged() throws IOException {
    putRunConfig(run("./hello.sh", Map.of()));
    try (FaultProxy proxy = FaultProxy.start(moto.endpoint(), 1)) {
      proxy.configure(Map.of("fail_next", Map.of("S3:PUT",
          Map.of("count", 2, "code", "AccessDenied", "path", "/" + RESULTS + "job.log"))));

      Shell.Result result = boot(Map.of("AWS_ENDPOINT_URL", proxy.endpoint().toString()));

      assertThat(result.exitCode()).as(result.out()).isZero();
      assertThat(proxy.stats().path("failed").asInt()).isEqualTo(2);
    }
    assertThat(s3Text(RESULTS + "job.log")).contains("hello from demo");
    assertThat(exitStatus().reason()).isEqualTo("exited");
    // The copy in S3 went up with the third try: it names both failures.
    String failed = "upload of the logs to s3://" + BUCKET + "/" + RESULTS + " failed (try %d, exit code 1; trying again in"
        + " %ds): upload failed: ";
    String denied = "/ami-pipeline/job.log to s3://" + BUCKET + "/" + RESULTS + "job.log An error occurred (AccessDenied)"
        + " when calling the PutObject operation";
    assertThat(s3Text(RESULTS + "first-boot.log").lines().filter(l -> l.contains("upload of the logs")))
        .satisfiesExactly(l -> assertThat(l).contains(failed.formatted(1, 1), denied),
            l -> assertThat(l).contains(failed.formatted(2, 2), denied));
    assertThat(Files.readString(root.resolve("var/log/ami-pipeline/first-boot.log")))
        .contains("uploaded the logs to s3://" + BUCKET + "/" + RESULTS);
  }

  @Test
  void uploadsDeniedForGoodAreToldOnTheConsoleAndTheInstanceStillPowersOff() throws IOException {
    ObjectNode config = (ObjectNode) Json.OUTPUT.readTree(run("./hello.sh", Map.of()).toJson());
    config.put("uploadRetryMinutes", 0.1);
    putRunConfig(config.toString());
    Shell.Result result;
    Instant start = Instant.now();
    try (FaultProxy proxy = FaultProxy.start(moto.endpoint(), 1)) {
      proxy.configure(Map.of("deny", List.of(Map.of("action", "S3:PUT", "code", "AccessDenied"))));

      result = boot(Map.of("AWS_ENDPOINT_URL", proxy.endpoint().toString()));
    }
    Duration took = Duration.between(start, Instant.now());

    assertThat(result.exitCode()).isZero();
    assertThat(s3Keys()).as("nothing reached S3").isEmpty();
    String console = Files.readString(console());
    assertThat(console).contains("upload of the logs to s3://" + BUCKET + "/" + RESULTS + " failed (try 1, exit code 1;",
        "An error occurred (AccessDenied) when calling the PutObject operation",
        "no time left to try again", "the exit status is only on this instance", "powering off");
    assertThat(powerOffCount()).isEqualTo(1);
    assertThat(took).as("retried for uploadRetryMinutes (6 s), then powered off")
        .isGreaterThanOrEqualTo(Duration.ofSeconds(6)).isLessThan(Duration.ofSeconds(60));
  }

  @Test
  void theCheckpointIsRestoredSyncedWhileTheJobRunsAndAfterASpotNoticeAndTheNextAttemptResumesFromIt()
      throws Exception {
    Path checkpoints = tmp.resolve("checkpoints");
    ObjectNode config = checkpointedRun(1);
    putRunConfig(config.toString());
    // An earlier run's file, to be restored before the job starts.
    s3().putObject(b -> b.bucket(BUCKET).key(RUN + "checkpoint/notes/seed.txt"), RequestBody.fromString("seed"));
    AtomicBoolean notice = new AtomicBoolean();
    imds.spotNoticeWhen(notice::get);

    CompletableFuture<Shell.Result> running = CompletableFuture.supplyAsync(() -> boot(Map.of()));
    Shell.Result interrupted;
    try {
      await(() -> read(root.resolve("var/log/ami-pipeline/first-boot.log")).contains("copied the checkpoint to"));
      assertThat(s3Keys()).as("synced while the job runs").contains(RUN + "checkpoint/early")
          .doesNotContain(RESULTS + "exit-status.json");
    } finally {
      notice.set(true);
      interrupted = running.get(2, TimeUnit.MINUTES);
    }

    assertThat(interrupted.out()).containsSubsequence(
        "restoring the checkpoint from s3://" + BUCKET + "/" + RUN + "checkpoint/ into " + checkpoints,
        "downloaded the checkpoint from s3://" + BUCKET + "/" + RUN + "checkpoint/",
        "checkpoint folder " + checkpoints + ": 1 files restored or kept", "spot interruption notice", "uploaded the checkpoint to s3://" + BUCKET + "/" + RUN + "checkpoint/");
    assertThat(s3Text(RUN + "checkpoint/epoch")).as("saved on SIGTERM, synced after it").isEqualTo("epoch-7\n");
    assertThat(s3Text(RUN + "checkpoint/early")).isEqualTo("epoch-1\n");
    assertThat(s3Text(RESULTS + "job.log")).contains("attempt 1 of run " + RUN_ID + " as root, checkpoints in "
        + checkpoints, "training started", "SIGTERM: saving a checkpoint");
    assertThat(exitStatus().reason()).isEqualTo("spot-interruption");
    assertThat(runSummary().state()).as("a run that does not recover ends with the interruption")
        .isEqualTo("interrupted");

    // The next attempt: another instance of the run, a fresh disk, the job as another user.
    String next = "i-0aaaabbbbccccdddd";
    imds.close();
    imds = instance(next);
    root = Files.createDirectories(tmp.resolve("root-2"));
    Files.createDirectories(root.resolve("etc/ami-pipeline"));
    Files.writeString(root.resolve("etc/ami-pipeline/env"), "AMI_SSM_PREFIX=/ami-pipeline\n");
    host("rm", "-rf", checkpoints.toString());
    // The job's user reaches the checkpoint folder by its path.
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
    config.put("user", "nobody");
    putRunConfig(config.toString());

    Shell.Result resumed = boot(Map.of());

    assertThat(resumed.exitCode()).as(resumed.out()).isZero();
    String results = RUN + next + "/";
    assertThat(s3Text(results + "job.log")).contains("attempt 2 of run " + RUN_ID + " as nobody",
        "resuming from epoch-7");
    assertThat(Files.getOwner(checkpoints).getName()).isEqualTo("nobody");
    assertThat(Files.getOwner(checkpoints.resolve("notes/seed.txt")).getName()).isEqualTo("nobody");
    ExitStatus status = Json.STRICT.readValue(s3Text(results + "exit-status.json"), ExitStatus.class);
    assertThat(status.attempt()).isEqualTo(2);
    assertThat(status.instanceId()).isEqualTo(next);
    RunSummary summary = runSummary();
    assertThat(summary.state()).isEqualTo("succeeded");
    assertThat(summary.attempts()).isEqualTo(2);
    assertThat(summary.instances()).extracting(RunInstance::instanceId, RunInstance::attempt, RunInstance::reason)
        .containsExactly(tuple(INSTANCE_ID, 1, "spot-interruption"), tuple(next, 2, "exited"));
  }

  @Test
  void aCancelStopsTheJobSavesItsCheckpointAndLogsAndRecordsCancelled() throws Exception {
    putRunConfig(checkpointedRun(300).toString());

    // What ami cancel does before terminating the instance; then systemd stops the unit.
    String output = stopWhileTheJobRuns(() -> imds.tag("ami-pipeline:cancelled", "2026-12-02T11:00:00Z"));

    assertThat(output).contains("stopped by the system while the job runs",
        "the instance is tagged ami-pipeline:cancelled=2026-12-02T11:00:00Z: the run was cancelled",
        "the system is already stopping this instance");
    ExitStatus status = exitStatus();
    assertThat(status.reason()).isEqualTo("cancelled");
    assertThat(status.exitCode()).isEqualTo(143);
    assertThat(s3Text(RUN + "checkpoint/epoch")).isEqualTo("epoch-7\n");
    assertThat(s3Text(RESULTS + "job.log")).contains("SIGTERM: saving a checkpoint");
    assertThat(runSummary().state()).isEqualTo("cancelled");
    assertThat(powerOffCount()).as("the system is already stopping it").isZero();
    assertThat(root.resolve("var/lib/ami-pipeline/done")).exists();
  }

  @Test
  void aPlainStopSavesTheCheckpointAndLogsAndTheJobRunsAgainOnTheNextBoot() throws Exception {
    putRunConfig(checkpointedRun(300).toString());

    String output = stopWhileTheJobRuns(() -> { });

    assertThat(output).contains("uploaded the checkpoint",
        "the job was stopped before it finished; it runs again on the next boot");
    assertThat(s3Text(RUN + "checkpoint/epoch")).isEqualTo("epoch-7\n");
    assertThat(s3Keys()).contains(RESULTS + "job.log").doesNotContain(RESULTS + "exit-status.json", RUN + "run.json");
    assertThat(root.resolve("var/lib/ami-pipeline/done")).doesNotExist();
  }

  @Test
  void terminateOnExitFalseLeavesTheInstanceUp() {
    putRunConfig(new RunConfig(repo.url(), "main", "./hello.sh", "root", Map.of(), LOG_URI, false, 0));

    Shell.Result result = boot(Map.of());

    assertThat(result.exitCode()).isZero();
    assertThat(exitStatus().reason()).isEqualTo("exited");
    assertThat(powerOffCount()).isZero();
  }

  /** Every second; and at the default minute, whose first copy still comes seconds after the job starts. */
  @ParameterizedTest
  @ValueSource(strings = {"1", ""})
  void theLogIsCopiedToS3WhileTheJobRuns(String syncSeconds) throws Exception {
    Path release = tmp.resolve("release");
    putRunConfig(run("./paused.sh", Map.of("RELEASE", release.toString())));

    CompletableFuture<Shell.Result> running = CompletableFuture.supplyAsync(
        () -> boot(syncSeconds.isEmpty() ? Map.of() : Map.of("AMI_LOG_SYNC_SECONDS", syncSeconds)));
    try {
      // Well before the default interval of a minute: the first copy comes 5 s after the job starts.
      awaitKey(RESULTS + "job.log", Duration.ofSeconds(30));
      assertThat(s3Text(RESULTS + "job.log")).contains("halfway").doesNotContain("all done");
      assertThat(s3Keys()).doesNotContain(RESULTS + "exit-status.json");
    } finally {
      Files.writeString(release, "go");
    }
    Shell.Result result = running.get(2, TimeUnit.MINUTES);

    assertThat(result.exitCode()).as(result.out()).isZero();
    assertThat(s3Text(RESULTS + "job.log")).contains("halfway", "all done");
  }

  @Test
  void theGpusPerNodeComeFromTheInstanceTypesGpuInfo() throws IOException {
    imds.instanceType("g4dn.12xlarge");
    putRunConfig(run("./hello.sh", Map.of()));

    Shell.Result result = boot(Map.of());

    assertThat(result.exitCode()).as(result.out()).isZero();
    assertThat(result.out()).contains("g4dn.12xlarge has 4 GPUs (AMI_GPUS_PER_NODE)");
    assertThat(Files.readString(jobLog())).contains("gpus 4");
  }

  // --- recovering runs ---

  @Test
  void aRecoveringRunThatEndsDeletesItsFleetBeforeTheUploadsAndLeavesItsInstanceRunning() throws IOException {
    RunFleet other = RunFleet.create(aws, "demo-20261202-090000-0001", 1, Map.of("ami-pipeline:max-attempts", "3"));
    RunFleet fleet = recoveringInstance(3);
    putRunConfig(run("./hello.sh", Map.of()));

    Shell.Result result = boot(Map.of());

    assertThat(result.exitCode()).as(result.out()).isZero();
    assertThat(fleet.state(aws)).isEqualTo("deleted_running");
    assertThat(other.state(aws)).as("another run's fleet").isEqualTo("active");
    assertThat(RunFleet.instancesOf(aws, RUN_ID)).as("left running: it powers itself off")
        .singleElement().satisfies(i -> assertThat(i.state().nameAsString()).isEqualTo("running"));
    String results = RUN + fleet.instance().instanceId() + "/";
    // The log in S3 went up after the deletion: it tells of it.
    assertThat(s3Text(results + "first-boot.log")).contains("run " + RUN_ID + " recovers: at most 3 attempts",
        "deleted fleet " + fleet.fleetId() + " of run " + RUN_ID + " (its instances keep running)");
    assertThat(Files.readString(jobLog())).contains("attempt 1", "node 0 of 1, master "
        + fleet.instance().privateIpAddress());
    assertThat(runSummary().state()).isEqualTo("succeeded");
    assertThat(powerOffCount()).isEqualTo(1);
  }

  @Test
  void aRecoveringRunPastItsLastAttemptGivesUpWithoutRunningTheJob() throws IOException {
    RunFleet fleet = recoveringInstance(3);
    // Fixtures: the exit statuses of three earlier attempts, each ended by a spot interruption
    // (moto never replaces an instance: these instances were never started, and EC2 lists none).
    for (int attempt = 1; attempt <= 3; attempt++) {
      putExitStatus("i-0000000000000000" + attempt, attempt, 143, "spot-interruption");
    }
    putRunConfig(run("./hello.sh", Map.of()));

    Shell.Result result = boot(Map.of());

    assertThat(result.exitCode()).isEqualTo(1);
    assertThat(result.out()).contains("attempt 4 of run " + RUN_ID + " is past its 3 attempts (tag ami-pipeline:max-attempts)"
        + ": giving up without running the job");
    ExitStatus status = exitStatus(fleet.instance().instanceId());
    assertThat(status.exitCode()).isEqualTo(75);
    assertThat(status.reason()).isEqualTo("gave-up");
    assertThat(status.attempt()).isEqualTo(4);
    RunSummary summary = runSummary();
    assertThat(summary.state()).isEqualTo("gave up");
    assertThat(summary.attempts()).isEqualTo(4);
    assertThat(fleet.state(aws)).isEqualTo("deleted_running");
    assertThat(jobLog()).doesNotExist();
    assertThat(powerOffCount()).isEqualTo(1);
    assertThat(root.resolve("var/lib/ami-pipeline/done")).exists();
  }

  @Test
  void aRecoveringRunThatHasAlreadyEndedIsNotRunAgainAndWritesNothing() {
    RunFleet fleet = recoveringInstance(3);
    // Fixtures: an earlier attempt that succeeded and the run.json it wrote.
    putExitStatus("i-00000000000000001", 1, 0, "exited");
    s3().putObject(b -> b.bucket(BUCKET).key(RUN + "run.json"), RequestBody.fromString(
        "{\"runId\": \"" + RUN_ID + "\", \"project\": \"demo\", \"state\": \"succeeded\"}"));
    putRunConfig(run("./hello.sh", Map.of()));
    List<String> before = s3Keys();

    Shell.Result result = boot(Map.of());

    assertThat(result.exitCode()).as(result.out()).isZero();
    assertThat(result.out()).contains("run " + RUN_ID + " has already ended (its run.json says succeeded): the job does not"
        + " run again and nothing is uploaded");
    assertThat(s3Keys()).isEqualTo(before);
    assertThat(fleet.state(aws)).isEqualTo("deleted_running");
    assertThat(jobLog()).doesNotExist();
    assertThat(powerOffCount()).isEqualTo(1);
  }

  @Test
  void aThrottledDeleteFleetsIsRetriedAndTheFleetIsGone() throws IOException {
    RunFleet fleet = recoveringInstance(3);
    putRunConfig(run("./hello.sh", Map.of()));
    try (FaultProxy proxy = FaultProxy.start(moto.endpoint(), 1)) {
      // The AWS CLI tries 3 times (adaptive retry mode), throttled each time; first-boot tries again
      // 1 s later: throttled once more, then through.
      proxy.configure(Map.of("fail_next", Map.of("DeleteFleets", 4)));

      Shell.Result result = boot(Map.of("AWS_ENDPOINT_URL", proxy.endpoint().toString()));

      assertThat(result.exitCode()).as(result.out()).isZero();
      assertThat(proxy.stats().path("requests").path("DeleteFleets").asInt()).isEqualTo(5);
      assertThat(proxy.stats().path("failed").asInt()).isEqualTo(4);
    }
    assertThat(fleet.state(aws)).isEqualTo("deleted_running");
    assertThat(s3Text(RUN + fleet.instance().instanceId() + "/first-boot.log"))
        .containsPattern("deleting fleet " + fleet.fleetId() + " of run " + RUN_ID + " failed \\(try 1, exit code 25[45];"
            + " trying again in 1s\\): An error occurred \\(RequestLimitExceeded\\) when calling the DeleteFleets operation")
        .contains("deleted fleet " + fleet.fleetId());
  }

  // --- multi-node runs ---

  @Test
  void threeNodesOfARunRankThemselvesByPrivateAddressAndAgreeOnTheMaster() throws Exception {
    String runId = launchThreeNodes();
    List<Instance> instances = RunFleet.instancesOf(aws, runId);
    assertThat(instances).hasSize(3);
    putRunConfig(run("./hello.sh", Map.of()));

    List<Shell.Result> results = bootConcurrently(instances, Map.of());

    assertThat(results).allSatisfy(r -> assertThat(r.exitCode()).as(r.out()).isZero());
    List<String> ranked = instances.stream().map(Instance::privateIpAddress).sorted(NUMERIC_IPV4).toList();
    for (Instance i : instances) {
      String jobLog = s3Text("runs/demo/" + runId + "/" + i.instanceId() + "/job.log");
      assertThat(jobLog).contains("node " + ranked.indexOf(i.privateIpAddress()) + " of 3, master " + ranked.get(0)
          + ", nodes " + String.join(" ", ranked));
    }
  }

  @Test
  void nodesWhosePeerNeverStartsRecordASetupFailureAfterNodesWaitSeconds() throws Exception {
    String runId = launchThreeNodes();
    List<Instance> instances = RunFleet.instancesOf(aws, runId);
    aws.ec2().terminateInstances(b -> b.instanceIds(instances.get(2).instanceId()));
    ObjectNode config = (ObjectNode) Json.OUTPUT.readTree(run("./hello.sh", Map.of()).toJson());
    config.putObject("nodes").put("waitSeconds", 6);
    putRunConfig(config.toString());

    List<Shell.Result> results = bootConcurrently(instances.subList(0, 2), Map.of());

    assertThat(results).allSatisfy(r -> assertThat(r.exitCode()).as(r.out()).isEqualTo(1));
    for (Instance i : instances.subList(0, 2)) {
      String folder = "runs/demo/" + runId + "/" + i.instanceId() + "/";
      ExitStatus status = Json.STRICT.readValue(s3Text(folder + "exit-status.json"), ExitStatus.class);
      assertThat(status.reason()).isEqualTo("setup-failed");
      assertThat(status.exitCode()).isEqualTo(125);
      assertThat(s3Text(folder + "first-boot.log")).contains("waiting up to 6s for the 3 instances of run " + runId,
          "error: 2 of the 3 instances of run " + runId + " were running after 6s (nodes.waitSeconds)");
      assertThat(s3Keys()).doesNotContain(folder + "job.log");
    }
  }

  // --- helpers ---

  /** Private IPv4 addresses in numeric order, as first-boot ranks the nodes. */
  static final Comparator<String> NUMERIC_IPV4 = Comparator.comparingLong(ip -> {
    long value = 0;
    for (String octet : ip.split("\\.")) {
      value = value * 256 + Long.parseLong(octet);
    }
    return value;
  });

  /**
   * This instance as the one instance of a recovering run's maintain fleet: its metadata (id,
   * address, tags with ami-pipeline:max-attempts) is that of the instance moto started for it.
   */
  RunFleet recoveringInstance(int maxAttempts) {
    RunFleet fleet = RunFleet.create(aws, RUN_ID, 1, Map.of("ami-pipeline:max-attempts", Integer.toString(maxAttempts)));
    imds.close();
    imds = metadataOf(fleet.instance());
    return fleet;
  }

  /** An exit-status.json of an instance of the run, as a fixture. */
  void putExitStatus(String instanceId, int attempt, int exitCode, String reason) {
    String status = "{\"exitCode\": %d, \"reason\": \"%s\", \"startedAt\": \"2026-12-02T10:15:00Z\", \"endedAt\":"
        + " \"2026-12-02T10:45:00Z\", \"instanceId\": \"%s\", \"amiId\": \"%s\", \"runId\": \"%s\", \"attempt\": %d,"
        + " \"instanceType\": \"t3.micro\"}";
    s3().putObject(b -> b.bucket(BUCKET).key(RUN + instanceId + "/exit-status.json"),
        RequestBody.fromString(status.formatted(exitCode, reason, instanceId, AMI_ID, RUN_ID, attempt)));
  }

  /** {@code ami launch --count 3} of a baked demo: a run of three nodes in moto; returns its id. */
  String launchThreeNodes() throws IOException {
    Bakes.bake(aws, PROJECT);
    Cli.Result launch = Cli.run(moto, "launch", "--project", PROJECT, "--count", "3", "--output", "json");
    assertThat(launch.exitCode()).as(launch.err()).isZero();
    return Json.STRICT.readTree(launch.out()).path("runId").asText();
  }

  /** first-boot on each of {@code instances} at once, each with its own metadata and disk. */
  List<Shell.Result> bootConcurrently(List<Instance> instances, Map<String, String> overrides) throws Exception {
    List<MetadataService> services = instances.stream().map(FirstBootIT::metadataOf).toList();
    ExecutorService pool = Executors.newFixedThreadPool(instances.size());
    try {
      List<CompletableFuture<Shell.Result>> boots = new java.util.ArrayList<>();
      for (int n = 0; n < instances.size(); n++) {
        Path nodeRoot = Files.createDirectories(tmp.resolve("node-" + n));
        Files.createDirectories(nodeRoot.resolve("etc/ami-pipeline"));
        Files.writeString(nodeRoot.resolve("etc/ami-pipeline/env"), "AMI_SSM_PREFIX=/ami-pipeline\n");
        Map<String, String> env = bootEnvironment(overrides);
        env.put("AMI_ROOT", nodeRoot.toString());
        env.put("AMI_IMDS_ENDPOINT", services.get(n).endpoint().toString());
        boots.add(CompletableFuture.supplyAsync(() -> Shell.run(List.of(FIRST_BOOT.toString()), env,
            Duration.ofMinutes(3)), pool));
      }
      List<Shell.Result> results = new java.util.ArrayList<>();
      for (CompletableFuture<Shell.Result> boot : boots) {
        results.add(boot.get(4, TimeUnit.MINUTES));
      }
      return results;
    } finally {
      pool.shutdownNow();
      services.forEach(MetadataService::close);
    }
  }


  /** checkpointed.sh with its checkpoint folder tmp/checkpoints, synced every {@code syncSeconds}. */
  ObjectNode checkpointedRun(int syncSeconds) throws IOException {
    ObjectNode config = (ObjectNode) Json.OUTPUT.readTree(run("./checkpointed.sh",
        Map.of("STARTED", tmp.resolve("started").toString())).toJson());
    config.putObject("checkpoint").put("dir", tmp.resolve("checkpoints").toString()).put("syncSeconds", syncSeconds);
    return config;
  }

  /**
   * Starts first-boot, and once the job is under way runs {@code beforeStop} and stops it as
   * systemd stops the unit (SIGTERM to first-boot alone: KillMode=mixed); returns its output.
   */
  String stopWhileTheJobRuns(Runnable beforeStop) throws Exception {
    Path out = tmp.resolve("stopped.out");
    Process firstBoot = Shell.start(List.of(FIRST_BOOT.toString()), bootEnvironment(Map.of()), out,
        tmp.resolve("stopped.err"));
    try {
      await(() -> Files.exists(tmp.resolve("started")));
      beforeStop.run();
      firstBoot.destroy();
      assertThat(firstBoot.waitFor(2, TimeUnit.MINUTES)).isTrue();
    } finally {
      firstBoot.destroyForcibly();
    }
    return Files.readString(out);
  }

  RunConfig run(String command, Map<String, String> env) {
    return new RunConfig(repo.url(), "main", command, "root", env, LOG_URI, true, 0);
  }

  void putRunConfig(RunConfig config) {
    putRunConfig(config.toJson());
  }

  void putRunConfig(String json) {
    aws.ssm().putParameter(b -> b.name("/ami-pipeline/" + PROJECT + "/run").type(ParameterType.STRING)
        .value(json).overwrite(true));
  }

  Shell.Result boot(Map<String, String> overrides) {
    return Shell.run(List.of(FIRST_BOOT.toString()), bootEnvironment(overrides), Duration.ofMinutes(2));
  }

  Map<String, String> bootEnvironment(Map<String, String> overrides) {
    Map<String, String> env = new LinkedHashMap<>(moto.environment());
    env.put("AMI_ROOT", root.toString());
    env.put("AMI_IMDS_ENDPOINT", imds.endpoint().toString());
    env.put("AMI_POWEROFF", tmp.resolve("poweroff") + " --no-wall");
    env.put("AMI_CONSOLE", console().toString());
    env.putAll(overrides);
    return env;
  }

  Path console() {
    return tmp.resolve("console");
  }

  RunSummary runSummary() {
    try {
      return Json.STRICT.readValue(s3Text(RUN + "run.json"), RunSummary.class);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  void awaitKey(String key) {
    awaitKey(key, Duration.ofMinutes(1));
  }

  void awaitKey(String key, Duration bound) {
    int attempts = (int) (bound.toMillis() / 500);
    try (S3Waiter waiter = S3Waiter.builder().client(s3()).overrideConfiguration(w -> w.maxAttempts(attempts)
        .backoffStrategyV2(BackoffStrategy.fixedDelayWithoutJitter(Duration.ofMillis(500)))).build()) {
      waiter.waitUntilObjectExists(b -> b.bucket(BUCKET).key(key));
    }
  }

  static void await(BooleanSupplier condition) throws InterruptedException {
    Instant end = Instant.now().plus(Duration.ofMinutes(1));
    while (!condition.getAsBoolean()) {
      assertThat(Instant.now()).as("waited a minute").isBefore(end);
      Thread.sleep(100);
    }
  }

  static String read(Path file) {
    try {
      return Files.exists(file) ? Files.readString(file) : "";
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static void host(String... command) {
    Shell.Result r = Shell.run(List.of(command), Map.of(), Duration.ofMinutes(1));
    assertThat(r.exitCode()).as(r.err()).isZero();
  }

  Path jobLog() {
    return root.resolve("var/log/ami-pipeline/job.log");
  }

  S3Client s3() {
    return aws.s3(Region.of(MotoServer.REGION));
  }

  String s3Text(String key) {
    return s3().getObjectAsBytes(b -> b.bucket(BUCKET).key(key)).asUtf8String();
  }

  List<String> s3Keys() {
    return s3().listObjectsV2Paginator(b -> b.bucket(BUCKET)).contents().stream().map(S3Object::key).toList();
  }

  void emptyBucket() {
    s3Keys().forEach(key -> s3().deleteObject(b -> b.bucket(BUCKET).key(key)));
  }

  ExitStatus exitStatus() {
    return exitStatus(INSTANCE_ID);
  }

  ExitStatus exitStatus(String instanceId) {
    try {
      return Json.STRICT.readValue(s3Text(RUN + instanceId + "/exit-status.json"), ExitStatus.class);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  long powerOffCount() {
    try {
      return Files.exists(powerOffCalls) ? Files.readAllLines(powerOffCalls).size() : 0;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  void assertNothingHappened() {
    assertThat(s3Keys()).as("nothing uploaded").isEmpty();
    assertThat(powerOffCount()).as("no power-off").isZero();
    assertThat(jobLog()).as("no job ran").doesNotExist();
    assertThat(root.resolve("var/lib/ami-pipeline/work")).doesNotExist();
  }

  static boolean startedMoreThan(Path marker, Duration ago) {
    try {
      return Files.exists(marker)
          && Files.getLastModifiedTime(marker).toInstant().plus(ago).isBefore(Instant.now());
    } catch (IOException e) {
      return false;
    }
  }
}
