package dev.amipipeline.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.amipipeline.aws.AwsClients;
import dev.amipipeline.aws.AwsSettings;
import dev.amipipeline.common.Json;
import dev.amipipeline.project.ParameterNames;
import dev.amipipeline.project.ProjectParameters;
import dev.amipipeline.testing.MotoServer;
import dev.amipipeline.testing.Shell;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.InstanceAttributeName;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * What the local-instance tests run against, one for all their classes in this JVM
 * ({@code @RegisterExtension static}; made by the first class that needs it, closed when the last
 * has run): a moto_server (never reset: a bake is minutes, so each project is baked once, by the
 * first test that asks, and every later launch boots that image), the log bucket, the job's
 * repository on a git daemon on loopback, a state folder for local images and machines, a
 * projects folder, and the CLI as a process (the jar, as root) pointed at all of it. Tests tell
 * their runs apart by run and instance id. After each test it checks that no machine folder,
 * process or mount is left.
 *
 * <p>No test reaches the network: the root cache comes from scripts/test's prepare step, and the
 * Debian mirror is pointed at a closed loopback port, so a missing cache fails the bake instead of
 * downloading.
 */
final class LocalStack implements BeforeAllCallback, AfterEachCallback {

  static final String BUCKET = "ami-pipeline-demo-logs";
  static final String NO_MIRROR = "http://127.0.0.1:9/debian";
  static final Pattern INSTANCE_ID = Pattern.compile("\\bi-[0-9a-f]{8,17}\\b");
  static final Pattern RUN_ID = Pattern.compile("^run (\\S+)", Pattern.MULTILINE);

  /** The demo project as the tests bake it. */
  static final String DEMO = "demo";
  /** Where the demo's job keeps its checkpoint on the instance (run.checkpoint.dir). */
  static final String CHECKPOINT_DIR = "/var/lib/ml/checkpoints";

  /**
   * A bake's output, the AMI id it recorded, and this host's packages just before it (a local bake
   * installs nothing here).
   */
  record Baked(Shell.Result result, String amiId, String hostPackagesBefore) {}

  private static final ExtensionContext.Namespace SHARED = ExtensionContext.Namespace.create(LocalStack.class);

  private Shared shared;
  AwsClients aws;
  JobServer jobs;
  /** The local images and machines ($AMI_LOCAL_STATE). */
  Path state;
  Path projects;

  @Override
  public void beforeAll(ExtensionContext context) {
    // In the root context's store: closed once every test class of the run has ended.
    shared = context.getRoot().getStore(SHARED).getOrComputeIfAbsent(Shared.class, k -> Shared.start(), Shared.class);
    aws = shared.aws;
    jobs = shared.jobs;
    state = shared.dir.resolve("state");
    projects = shared.projects;
  }

  /** The stack's resources and the projects baked so far. */
  private record Shared(Path dir, MotoServer moto, AwsClients aws, JobServer jobs, Path projects,
      Map<String, Baked> baked) implements AutoCloseable {

    static Shared start() {
      System.setProperty("aws.accessKeyId", MotoServer.ACCESS_KEY);
      System.setProperty("aws.secretAccessKey", MotoServer.SECRET_KEY);
      System.setProperty("aws.disableEc2Metadata", "true");
      try {
        Path dir = Files.createTempDirectory("ami-local-");
        MotoServer moto = MotoServer.start();
        AwsClients aws = AwsClients.create(new AwsSettings(MotoServer.REGION, null, moto.endpoint()));
        aws.s3(aws.region()).createBucket(b -> b.bucket(BUCKET));
        return new Shared(dir, moto, aws, JobServer.start(dir), Files.createDirectories(dir.resolve("projects")),
            new ConcurrentHashMap<>());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    @Override
    public void close() {
      try {
        jobs.close();
        aws.close();
      } finally {
        moto.close();
        // Unpacked images hold absolute symlinks (/usr/bin/awk → /etc/alternatives/…), which Java's tree
        // walks would follow out of the folder.
        host("rm", "-rf", "--one-file-system", dir.toString());
      }
    }
  }

  /** The project file {@code source}, its job's repository the git daemon's; write it with {@link #addProject}. */
  ObjectNode projectFrom(Path source) {
    try {
      ObjectNode project = (ObjectNode) Json.OUTPUT.readTree(source.toFile());
      ((ObjectNode) project.get("run")).put("repo", jobs.url());
      return project;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  void addProject(String name, ObjectNode project) {
    try {
      Files.writeString(projects.resolve(name + ".json"), Json.OUTPUT.writeValueAsString(project));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * {@code ami bake --project P --local-root}, which must succeed, the first time a test of this JVM
   * asks for P (written with {@link #addProject} before); later calls give that bake.
   */
  Baked baked(String project) {
    return shared.baked.computeIfAbsent(project, p -> {
      String hostPackages = host("dpkg-query", "-W").out();
      Shell.Result bake = ami("bake", "--project", p, "--local-root", "--history",
          shared.dir.resolve("ami-history.md").toString());
      assertThat(bake.exitCode()).as("the local bake: %s", bake.err()).isZero();
      return new Baked(bake, parameters(p).currentAmiId().orElseThrow(), hostPackages);
    });
  }

  /**
   * The shipped demo project, baked once: its job is the job server's job.sh (publish one before a
   * launch), and it keeps a checkpoint in {@link #CHECKPOINT_DIR}, saved when the job ends or is
   * stopped (and every 300 s, the default, which no test job lasts).
   */
  Baked bakedDemo() {
    if (!Files.exists(projects.resolve(DEMO + ".json"))) {
      ObjectNode demo = projectFrom(Shell.REPO.resolve("packer/projects/demo.json"));
      ObjectNode run = (ObjectNode) demo.get("run");
      run.put("command", "./job.sh");
      run.putObject("checkpoint").put("dir", CHECKPOINT_DIR);
      addProject(DEMO, demo);
    }
    return baked(DEMO);
  }

  /** The project's parameters under the default prefix. */
  ProjectParameters parameters(String project) {
    return new ProjectParameters(aws.ssm(), new ParameterNames(ParameterNames.DEFAULT_PREFIX, project));
  }

  Map<String, String> environment() {
    Map<String, String> env = new LinkedHashMap<>(shared.moto.environment());
    env.put("AMI_LOCAL_STATE", state.toString());
    env.put("AMI_DEBIAN_MIRROR", NO_MIRROR);
    return env;
  }

  /** The CLI as a process, with this stack's projects. */
  Shell.Result ami(String command, String... args) {
    return Shell.run(amiCommand(command, args), environment(), Duration.ofMinutes(10));
  }

  List<String> amiCommand(String command, String... args) {
    List<String> argv = new ArrayList<>(List.of(command, "--projects-dir", projects.toString()));
    argv.addAll(List.of(args));
    return Shell.amiCommand(argv.toArray(String[]::new));
  }

  static Shell.Result host(String... command) {
    return Shell.run(List.of(command), Map.of(), Duration.ofMinutes(2));
  }

  static String instanceIdIn(String output) {
    Matcher m = INSTANCE_ID.matcher(output);
    assertThat(m.find()).as("an instance id in: %s", output).isTrue();
    return m.group();
  }

  static String runIdIn(String output) {
    Matcher m = RUN_ID.matcher(output);
    assertThat(m.find()).as("a run id in: %s", output).isTrue();
    return m.group(1);
  }

  /** What a file holds so far; empty when it is not there yet. */
  static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      return "";
    }
  }

  /**
   * Where an instance's results are: {@code runs/<P>/<run-id>/<instance-id>/}, the run id being the
   * instance's tag ami-pipeline:run or, untagged, its instance id. Found by its exit status.
   */
  String resultsOf(String project, String instanceId) {
    List<String> keys = aws.s3(aws.region()).listObjectsV2Paginator(b -> b.bucket(BUCKET).prefix("runs/" + project + "/"))
        .contents().stream().map(S3Object::key).filter(k -> k.endsWith("/" + instanceId + "/exit-status.json")).toList();
    assertThat(keys).as("the exit status of " + instanceId).hasSize(1);
    return keys.get(0).substring(0, keys.get(0).length() - "exit-status.json".length());
  }

  String s3Text(String key) {
    return aws.s3(aws.region()).getObjectAsBytes(b -> b.bucket(BUCKET).key(key)).asUtf8String();
  }

  /** The run's row of {@code ami runs --output json}. */
  JsonNode runsRow(String project, String run) {
    Shell.Result runs = ami("runs", "--project", project, "--output", "json");
    assertThat(runs.exitCode()).as(runs.err()).isZero();
    try {
      for (JsonNode row : Json.OUTPUT.readTree(runs.out()).get("runs")) {
        if (row.get("runId").asText().equals(run)) {
          return row;
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    throw new AssertionError("no run " + run + " in: " + runs.out());
  }

  /** The emulator's instance as it is now. */
  Instance instance(String instanceId) {
    return aws.ec2().describeInstances(b -> b.instanceIds(instanceId)).reservations().get(0).instances().get(0);
  }

  /** The user-data as the emulator holds it for the instance. */
  String userData(String instanceId) {
    String value = aws.ec2().describeInstanceAttribute(b -> b.instanceId(instanceId)
        .attribute(InstanceAttributeName.USER_DATA)).userData().value();
    return new String(Base64.getDecoder().decode(value), StandardCharsets.UTF_8);
  }

  List<Path> machineFolders() {
    Path machines = state.resolve("machines");
    if (!Files.isDirectory(machines)) {
      return List.of();
    }
    try (Stream<Path> folders = Files.list(machines)) {
      return folders.toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** After every test: no instance runs in the emulator, and no machine folder, process or mount of ours is left. */
  @Override
  public void afterEach(ExtensionContext context) {
    assertThat(aws.ec2().describeInstancesPaginator(b -> b.filters(f -> f.name("instance-state-name")
        .values("pending", "running", "stopping", "shutting-down"))).reservations().stream()
        .flatMap(r -> r.instances().stream()).map(Instance::instanceId)).as("instances left in the emulator").isEmpty();
    assertThat(machineFolders()).as("machine folders").isEmpty();
    assertThat(Leftovers.mentioning(state.toString())).as("processes of our machines").isEmpty();
    assertThat(Leftovers.mounts(state.toString())).as("mounts of our machines").isEmpty();
  }
}
