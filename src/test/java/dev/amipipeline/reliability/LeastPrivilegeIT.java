package dev.amipipeline.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import dev.amipipeline.aws.AwsClients;
import dev.amipipeline.aws.AwsSettings;
import dev.amipipeline.leftovers.BakeLockHolder;
import dev.amipipeline.project.Tags;
import dev.amipipeline.testing.Ec2Seed;
import dev.amipipeline.testing.EmulatorState;
import dev.amipipeline.testing.IamUsers;
import dev.amipipeline.testing.MotoExtension;
import dev.amipipeline.testing.MotoServer;
import dev.amipipeline.testing.Shell;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
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
   * (on demand, and for GPUs by spot price).
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
        background(launcher, "launch", "--project", "demo", "--gpus", "24GB+:1", "--spot", "--list"));
    Shell.Result outside = Shell.ami(launcher, "prune", "--keep", "1", "--history", history());
    launches.forEach(CompletableFuture::join);
    iam.relax();

    assertThat(launches).allSatisfy(r -> assertThat(r.join().exitCode()).as(r.join().err()).isZero());
    assertThat(liveInstances()).hasSize(3).allSatisfy(i -> assertThat(i.imageId()).isEqualTo(ami));
    assertThat(aws.ec2().describeLaunchTemplates().launchTemplates()).extracting(t -> t.launchTemplateName())
        .containsExactly("ami-pipeline-demo");
    assertDenied(outside, "launcher", "ec2:DescribeSnapshots");
    assertThat(images()).containsExactly(ami);
  }

  /**
   * The prune policy deregisters, deletes snapshots and ends a killed bake's builder with its key pair
   * and group; it cannot start an instance (the example of a call outside it).
   */
  @Test
  void pruneNeedsNothingButThePrunePolicyAndCannotStartInstances() throws Exception {
    List<RecordedBakes.Baked> bakes = RecordedBakes.seed(aws, "demo", 4);
    String leaked = leakedBuilderOfAKilledBake();
    Map<String, String> pruner = iam.user("pruner", IamUsers.policy("prune", PLACEHOLDERS));

    iam.enforce();
    CompletableFuture<Shell.Result> outside = background(pruner, "launch", "--project", "demo");
    Shell.Result list = Shell.ami(pruner, "list");
    Shell.Result prune = Shell.ami(pruner, "prune", "--keep", "1", "--history", history());
    Shell.Result denied = outside.join();
    iam.relax();

    assertThat(list.exitCode()).as(list.err()).isZero();
    assertThat(prune.exitCode()).as(prune.err()).isZero();
    assertThat(prune.out()).contains("stale builder " + leaked);
    assertThat(images()).containsExactly(bakes.get(3).amiId());
    assertThat(liveInstances()).as("the builder is gone and nothing was started").isEmpty();
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
