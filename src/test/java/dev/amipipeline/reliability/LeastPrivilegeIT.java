package dev.amipipeline.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import dev.amipipeline.aws.AwsClients;
import dev.amipipeline.aws.AwsSettings;
import dev.amipipeline.leftovers.BakeLockHolder;
import com.fasterxml.jackson.databind.JsonNode;
import dev.amipipeline.common.Json;
import dev.amipipeline.launch.AwsCallLog;
import dev.amipipeline.project.Tags;
import dev.amipipeline.runs.InstanceSide;
import dev.amipipeline.testing.Cli;
import dev.amipipeline.testing.Ec2Seed;
import dev.amipipeline.testing.EmulatorState;
import dev.amipipeline.testing.IamUsers;
import dev.amipipeline.testing.MotoExtension;
import dev.amipipeline.testing.MotoServer;
import dev.amipipeline.testing.Shell;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.ResourceType;
import software.amazon.awssdk.services.ssm.model.ParameterType;

/**
 * Each command with nothing but its own policy from scripts/iam/, under moto's IAM enforcement
 * (see IamUsers for what moto checks), as the jar run by a user that has that policy alone: it
 * succeeds; and a call outside the policy is denied by AWS and reported by the CLI in one line that
 * names the service, the code and scripts/iam/.
 */
@ExtendWith(MotoExtension.class)
class LeastPrivilegeIT {

  private static final Map<String, String> PLACEHOLDERS =
      Map.of("LOG_BUCKET", "ami-pipeline-demo-logs", "LOG_PREFIX", "runs", "PROJECT", "demo");

  @TempDir Path tmp;
  private AwsClients aws;
  private IamUsers iam;

  @BeforeEach
  void setUp(MotoServer moto) {
    aws = AwsClients.create(new AwsSettings(MotoServer.REGION, null, moto.endpoint()));
    iam = new IamUsers(moto);
  }

  @AfterEach
  void tearDown() {
    iam.close();
    aws.close();
  }

  /**
   * The bake policy covers Packer's amazon-ebs builder (encrypt_boot's copy included), tagging, the
   * IMDSv2 and deprecation settings, the lock and the SSM records, and ending a killed bake's builder.
   */
  @Test
  void bakeNeedsNothingButTheBakePolicy() throws Exception {
    String leaked = leakedBuilderOfAKilledBake();
    Map<String, String> baker = iam.user("baker", IamUsers.policy("bake", PLACEHOLDERS));

    iam.enforce();
    CompletableFuture<Shell.Result> outside = background(baker, "prune", "--history", history());
    Shell.Result bake = Shell.ami(baker, "bake", "--project", "demo", "--deprecate-after", "90d", "--history",
        history());
    Shell.Result unchanged = Shell.ami(baker, "bake", "--project", "demo", "--if-changed", "--history", history());
    Shell.Result denied = outside.join();
    iam.relax();

    assertThat(bake.exitCode()).as(bake.err()).isZero();
    assertThat(bake.err()).contains("terminated builder " + leaked);
    assertThat(images()).singleElement().isEqualTo(parameter("/ami-pipeline/demo/ami-id"));
    assertThat(liveInstances()).isEmpty();
    assertThat(unchanged.exitCode()).as(unchanged.err()).isZero();
    assertDenied(denied, "baker", "ec2:DescribeLaunchTemplates");
  }

  /**
   * Every launch path: one instance (spot, waited for), a fleet, a launch template, the type chooser
   * (on demand, and for GPUs by spot price), a recovering run (its version of the project's template,
   * its maintain fleet, waited for).
   */
  @Test
  void launchNeedsNothingButTheLaunchPolicy() {
    String ami = RecordedBakes.seedOne(aws, "demo", "demo-1").amiId();
    Map<String, String> launcher = iam.user("launcher", IamUsers.policy("launch", PLACEHOLDERS));

    iam.enforce();
    List<CompletableFuture<Shell.Result>> launches = List.of(
        background(launcher, "launch", "--project", "demo", "--spot", "--wait"),
        background(launcher, "launch", "--project", "demo", "--count", "2"),
        background(launcher, "launch", "--project", "demo", "--template-only"),
        background(launcher, "launch", "--project", "demo", "--cpu", "2", "--memory", "2048", "--list"),
        background(launcher, "launch", "--project", "demo", "--gpus", "24GB+:1", "--spot", "--list"),
        background(launcher, "launch", "--project", "demo", "--spot", "--recover", "--max-hours", "2", "--wait"));
    Shell.Result outside = Shell.ami(launcher, "prune", "--keep", "1", "--history", history());
    launches.forEach(CompletableFuture::join);
    iam.relax();

    assertThat(launches).allSatisfy(r -> assertThat(r.join().exitCode()).as(r.join().err()).isZero());
    // The recovering run's instance names the image as its template version does (moto resolves no resolve:ssm:).
    assertThat(liveInstances()).hasSize(4).allSatisfy(i -> assertThat(i.imageId())
        .isIn(ami, "resolve:ssm:/ami-pipeline/demo/ami-id"));
    assertThat(aws.ec2().describeLaunchTemplates().launchTemplates()).extracting(t -> t.launchTemplateName())
        .containsExactly("ami-pipeline-demo");
    assertThat(aws.ec2().describeFleets().fleets()).filteredOn(f -> f.typeAsString().equals("maintain"))
        .singleElement().satisfies(f -> assertThat(f.fleetStateAsString()).isEqualTo("active"));
    assertDenied(outside, "launcher", "ec2:DescribeSnapshots");
    assertThat(images()).containsExactly(ami);
  }

  /**
   * The runs policy grants exactly what {@code runs}, {@code logs} (a job's log, the console output of
   * a run with nothing in S3, {@code --follow}) and {@code cancel} (of a run, and of a recovering run,
   * whose fleet it deletes) call. moto cannot enforce it on
   * these commands: under its IAM enforcement it rejects the signature of every S3 request whose
   * query holds a {@code /} (werkzeug decodes {@code %2F} before moto recomputes the signature;
   * getmoto/moto#5948), and each of them lists a run's folder with a prefix and the {@code /}
   * delimiter. So the calls they make are recorded against the emulator and checked against the
   * document's actions (its resources and conditions are checked in PolicyDocumentTest); the
   * enforced part is that these credentials cannot launch.
   */
  @Test
  void runsLogsAndCancelCallNothingButWhatTheRunsPolicyGrantsAndCannotLaunch(MotoServer moto) throws Exception {
    RecordedBakes.seedOne(aws, "demo", "demo-1");
    aws.s3(aws.region()).createBucket(b -> b.bucket("ami-pipeline-demo-logs"));
    String done = launchedRun(moto);
    String live = launchedRun(moto);
    String recovering = launchedRun(moto, "--spot", "--recover", "--max-hours", "1");
    new InstanceSide(aws.s3(aws.region()), "ami-pipeline-demo-logs", "runs/demo/").ended(done,
        instancesOf(done).get(0).instanceId(), "t3.micro", "trained\n",
        new InstanceSide.End(0, "exited", 1, Instant.now().minusSeconds(60), Instant.now()), 1);

    AwsCallLog.start();
    List<Cli.Result> results = List.of(Cli.run(moto, "runs", "--project", "demo"), Cli.run(moto, "logs", done),
        Cli.run(moto, "logs", done, "--follow"), Cli.run(moto, "logs", live), Cli.run(moto, "cancel", live),
        Cli.run(moto, "cancel", recovering));
    AwsCallLog.stop();
    Map<String, String> watcher = iam.user("watcher", IamUsers.policy("runs", PLACEHOLDERS));
    iam.enforce();
    Shell.Result launch = Shell.ami(watcher, "launch", "--project", "demo");
    iam.relax();

    assertThat(results).allSatisfy(r -> assertThat(r.exitCode()).as(r.err()).isZero());
    assertThat(results.get(3).err()).as("a run with nothing in S3").contains("its console output from EC2 instead:");
    assertThat(instancesOf(live)).singleElement().satisfies(i -> assertThat(i.state().nameAsString())
        .isEqualTo("terminated"));
    assertThat(aws.ec2().describeFleets().fleets()).singleElement()
        .satisfies(f -> assertThat(f.fleetStateAsString()).startsWith("deleted"));
    Set<String> called = AwsCallLog.calls().stream().map(LeastPrivilegeIT::iamAction)
        .collect(Collectors.toCollection(TreeSet::new));
    assertThat(called).isEqualTo(actions(IamUsers.policy("runs", PLACEHOLDERS)));
    assertDenied(launch, "watcher", "ec2:RunInstances");
  }

  /** The IAM action of a recorded SDK operation ("S3:ListObjectsV2" is s3:ListBucket). */
  private static String iamAction(String call) {
    String service = call.substring(0, call.indexOf(':')).toLowerCase(Locale.ROOT);
    String operation = call.substring(call.indexOf(':') + 1);
    return service + ":" + (operation.equals("ListObjectsV2") ? "ListBucket" : operation);
  }

  /** Every action a policy document grants. */
  private static Set<String> actions(String policy) throws Exception {
    Set<String> actions = new TreeSet<>();
    for (JsonNode statement : Json.STRICT.readTree(policy).path("Statement")) {
      JsonNode action = statement.path("Action");
      if (action.isArray()) {
        action.forEach(a -> actions.add(a.asText()));
      } else {
        actions.add(action.asText());
      }
    }
    return actions;
  }

  /** A run started by {@code ami launch} with the test's own credentials; its id. */
  private static String launchedRun(MotoServer moto, String... more) {
    List<String> args = new ArrayList<>(List.of("launch", "--project", "demo"));
    args.addAll(List.of(more));
    Cli.Result r = Cli.run(moto, args.toArray(String[]::new));
    assertThat(r.exitCode()).as(r.err()).isZero();
    return r.out().lines().findFirst().orElseThrow().substring("run ".length());
  }

  private List<Instance> instancesOf(String run) {
    return aws.ec2().describeInstancesPaginator(b -> b.filters(Filter.builder().name("tag:ami-pipeline:run")
        .values(run).build())).reservations().stream().flatMap(r -> r.instances().stream()).toList();
  }

  /**
   * The prune policy deregisters, deletes snapshots, ends a killed bake's builder with its key pair
   * and group, and deletes a leaked fleet (its run ended, as its run.json says: read under the log
   * prefix); it cannot start an instance (the example of a call outside it). The leaked
   * fleet's instance is left stopped: moto cannot delete a fleet whose instances are all terminated
   * (see LeakedFleetIT).
   */
  @Test
  void pruneNeedsNothingButThePrunePolicyAndCannotStartInstances(MotoServer moto) throws Exception {
    List<RecordedBakes.Baked> bakes = RecordedBakes.seed(aws, "demo", 4);
    String leaked = leakedBuilderOfAKilledBake();
    aws.s3(aws.region()).createBucket(b -> b.bucket("ami-pipeline-demo-logs"));
    String ended = launchedRun(moto, "--spot", "--recover", "--max-hours", "1");
    Instance endedInstance = instancesOf(ended).get(0);
    new InstanceSide(aws.s3(aws.region()), "ami-pipeline-demo-logs", "runs/demo/").ended(ended,
        endedInstance.instanceId(), "t3.micro", "trained\n",
        new InstanceSide.End(0, "exited", 1, Instant.now().minusSeconds(60), Instant.now()), 1);
    aws.ec2().stopInstances(b -> b.instanceIds(endedInstance.instanceId()));
    Map<String, String> pruner = iam.user("pruner", IamUsers.policy("prune", PLACEHOLDERS));

    iam.enforce();
    CompletableFuture<Shell.Result> outside = background(pruner, "launch", "--project", "demo");
    Shell.Result list = Shell.ami(pruner, "list");
    Shell.Result prune = Shell.ami(pruner, "prune", "--keep", "1", "--history", history());
    Shell.Result denied = outside.join();
    iam.relax();

    assertThat(list.exitCode()).as(list.err()).isZero();
    assertThat(prune.exitCode()).as(prune.err()).isZero();
    assertThat(prune.out()).contains("stale builder " + leaked, "1 leaked fleet deleted");
    assertThat(images()).containsExactly(bakes.get(3).amiId());
    assertThat(liveInstances()).as("the builder and the fleet's instance are gone and nothing was started").isEmpty();
    assertThat(aws.ec2().describeFleets().fleets()).singleElement()
        .satisfies(f -> assertThat(f.fleetStateAsString()).startsWith("deleted"));
    assertThat(aws.ec2().describeKeyPairs().keyPairs()).isEmpty();
    assertDenied(denied, "pruner", "ec2:RunInstances");
  }

  /** The jar with {@code env}, on another thread: commands that do not depend on each other run at once. */
  private static CompletableFuture<Shell.Result> background(Map<String, String> env, String... args) {
    return CompletableFuture.supplyAsync(() -> Shell.ami(env, args));
  }

  /** One error line: access denied, the service and code, what was refused, where the policies are. */
  private static void assertDenied(Shell.Result r, String user, String action) {
    assertThat(r.exitCode()).as(r.err()).isEqualTo(1);
    assertThat(r.errLines()).filteredOn(l -> l.startsWith("ami: ")).singleElement().asString()
        .startsWith("ami: access denied by AWS (Ec2 AccessDenied): User: arn:aws:iam::" + EmulatorState.ACCOUNT
            + ":user/" + user + " is not authorized to perform: " + action)
        .endsWith("grant the permission to these credentials (policies in scripts/iam/)");
  }

  /**
   * What a bake killed with SIGKILL leaves: its lock, naming a process of this host that has ended,
   * and its builder with a packer_* key pair and security group. Returns the builder's id.
   */
  private String leakedBuilderOfAKilledBake() throws Exception {
    Process ended = new ProcessBuilder("true").start();
    ended.waitFor();
    String lock = new BakeLockHolder(BakeLockHolder.localHost(), ended.pid(), Instant.now().minus(Duration.ofMinutes(5)))
        .toJson();
    aws.ssm().putParameter(b -> b.name("/ami-pipeline/demo/bake-lock").value(lock).type(ParameterType.STRING));
    aws.ec2().createKeyPair(b -> b.keyName("packer_6b035bc4"));
    String group = aws.ec2().createSecurityGroup(b -> b.groupName("packer_6b035bc4").description("packer")).groupId();
    return aws.ec2().runInstances(b -> b.imageId(RecordedBakes.seedOne(aws, "base", "base-1").amiId())
            .minCount(1).maxCount(1).instanceType("t3.micro").keyName("packer_6b035bc4").securityGroupIds(group)
            .tagSpecifications(t -> t.resourceType(ResourceType.INSTANCE).tags(Ec2Seed.tag(Tags.BUILDER, "demo"))))
        .instances().get(0).instanceId();
  }

  private String history() {
    return tmp.resolve("ami-history.md").toString();
  }

  private Set<String> images() {
    return aws.ec2().describeImagesPaginator(b -> b.owners("self").filters(
            Filter.builder().name("owner-id").values(EmulatorState.ACCOUNT).build(),
            Filter.builder().name("tag:" + Tags.PROJECT).values("demo").build()))
        .images().stream().map(i -> i.imageId()).collect(Collectors.toCollection(TreeSet::new));
  }

  private List<Instance> liveInstances() {
    return aws.ec2().describeInstancesPaginator(b -> b.filters(Filter.builder().name("instance-state-name")
            .values("pending", "running", "stopping", "stopped").build()))
        .reservations().stream().flatMap(r -> r.instances().stream()).toList();
  }

  private String parameter(String name) {
    return aws.ssm().getParameter(b -> b.name(name)).parameter().value();
  }
}
