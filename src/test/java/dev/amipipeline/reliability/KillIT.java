package dev.amipipeline.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.amipipeline.aws.AwsClients;
import dev.amipipeline.aws.AwsSettings;
import dev.amipipeline.leftovers.BakeLockHolder;
import dev.amipipeline.project.Tags;
import dev.amipipeline.prune.Inventory;
import dev.amipipeline.prune.InventoryReader;
import dev.amipipeline.prune.Planner;
import dev.amipipeline.prune.PrunePlan;
import dev.amipipeline.testing.Await;
import dev.amipipeline.testing.EmulatorState;
import dev.amipipeline.testing.FaultProxy;
import dev.amipipeline.testing.MotoExtension;
import dev.amipipeline.testing.MotoServer;
import dev.amipipeline.testing.Shell;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ssm.model.ParameterNotFoundException;

/**
 * {@code kill -9} at the worst moments, then the next run: the CLI keeps no state of its own between
 * runs, so what a killed run leaves behind must be recognised from what is in AWS (tags, the bake
 * lock) and finished by the next one.
 */
@ExtendWith(MotoExtension.class)
class KillIT {

  /** Replays a failure: run with -Dami.killSeed=<the seed the failed run printed>. */
  private static final long SEED = Long.getLong("ami.killSeed", System.nanoTime());
  private static final String REGION = MotoServer.REGION;
  private static final List<String> REMOVALS = List.of("DeregisterImage", "DeleteSnapshot");

  @TempDir Path tmp;
  private AwsClients aws;

  @BeforeEach
  void setUp(MotoServer moto) {
    aws = AwsClients.create(new AwsSettings(REGION, null, moto.endpoint()));
  }

  @AfterEach
  void tearDown() {
    aws.close();
  }

  /**
   * A prune of 50 images (45 to go, with their 45 snapshots) killed ten times. Each kill point is drawn from a
   * seeded Random: after k removals, the proxy forwards each further removal to moto and holds its
   * answer, so the process dies with up to eight calls applied that it never heard back from (the
   * worst case: an image gone, its snapshots not yet deleted). Once the work is done, kills land at
   * a random time while the inventory is read. After the tenth kill a last run finishes, and the end state
   * must be the one the planner's rules give for the untouched inventory: exactly the planned images
   * and snapshots gone, everything else byte-identical.
   */
  @Test
  void tenKillsDuringAPruneOfFiftyImagesEndWhereAnUninterruptedPruneEnds(MotoServer moto) throws Exception {
    System.out.println("kill points drawn with seed " + SEED + " (-Dami.killSeed=" + SEED + " to replay)");
    List<RecordedBakes.Baked> bakes = RecordedBakes.seed(aws, "demo", 50);
    String inUse = bakes.get(9).amiId();
    String inTemplate = bakes.get(19).amiId();
    aws.ec2().runInstances(b -> b.imageId(inUse).minCount(1).maxCount(1).instanceType("t3.micro"));
    aws.ec2().createLaunchTemplate(b -> b.launchTemplateName("app").launchTemplateData(d -> d.imageId(inTemplate)));

    Inventory inventory = new InventoryReader(aws.ec2(), aws.ssm(), EmulatorState.ACCOUNT, "/ami-pipeline")
        .read(REGION, List.of("demo"));
    PrunePlan reference = Planner.plan(inventory, List.of(new Planner.Retention("demo", 3)), Duration.ZERO,
        Instant.now());
    Set<String> goingImages = reference.imagesToDelete().map(i -> i.image().id()).collect(Collectors.toSet());
    Set<String> goingSnapshots = reference.snapshotsToDelete().stream().map(PrunePlan.SnapshotPlan::snapshotId)
        .collect(Collectors.toSet());
    Set<String> keptImages = Set.of(bakes.get(49).amiId(), bakes.get(48).amiId(), bakes.get(47).amiId(), inUse,
        inTemplate);
    assertThat(goingImages).as("the reference deletes all but the newest 3, the one in use and the one in a"
        + " launch template").hasSize(45).doesNotContainAnyElementsOf(keptImages);
    assertThat(goingSnapshots).isEqualTo(bakes.stream().filter(b -> goingImages.contains(b.amiId()))
        .flatMap(b -> b.snapshotIds().stream()).collect(Collectors.toSet()));
    ObjectNode before = EmulatorState.tree(moto);

    try (FaultProxy proxy = FaultProxy.start(moto.endpoint(), SEED)) {
      Random random = new Random(SEED);
      for (int kill = 1; kill <= 10; kill++) {
        int left = remaining(goingImages, goingSnapshots);
        proxy.resetCounters();
        Process prune;
        String point;
        if (left > 0) {
          int k = random.nextInt(Math.min(left, 12));
          proxy.configure(Map.of("hold_after", Map.of("count", k, "actions", REMOVALS)));
          prune = startPrune(proxy, moto, kill);
          Await.until("removal " + (k + 1) + " of run " + kill + " is in flight", Duration.ofMinutes(2), prune,
              () -> proxy.stats().path("held").asInt() > 0);
          point = "after " + k + " of " + left + " removals";
        } else {
          int ms = random.nextInt(400);
          prune = startPrune(proxy, moto, kill);
          Await.until("run " + kill + " calls AWS", Duration.ofMinutes(2), prune,
              () -> proxy.stats().path("total").asInt() > 0);
          Thread.sleep(ms);
          point = ms + " ms into reading the inventory (nothing left to remove)";
        }
        Shell.Result killed = Shell.run(List.of("kill", "-KILL", Long.toString(prune.pid())), Map.of(),
            Duration.ofSeconds(10));
        assertThat(killed.exitCode()).isZero();
        assertThat(prune.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(prune.exitValue()).as("killed by SIGKILL").isEqualTo(128 + 9);
        proxy.calm();
        System.out.printf("kill %d: %s; now %d images and %d snapshots still to go%n", kill, point,
            remainingImages(goingImages).size(), remainingSnapshots(goingSnapshots).size());
      }

      Shell.Result last = Shell.ami(proxy.environment(moto), "prune", "--project", "demo", "--keep", "3", "--history",
          tmp.resolve("ami-history.md").toString());
      assertThat(last.exitCode()).as(last.err()).isZero();
      assertThat(last.err()).doesNotContain("FAILED");
    }

    ObjectNode expected = before.deepCopy();
    goingImages.forEach(((ObjectNode) expected.path("images"))::remove);
    goingSnapshots.forEach(((ObjectNode) expected.path("snapshots"))::remove);
    ObjectNode after = EmulatorState.tree(moto);
    assertThat(after.path("images").size()).isEqualTo(5);
    assertThat(after).as("the state an uninterrupted prune leaves").isEqualTo(expected);
  }

  /**
   * A bake killed with SIGKILL together with its Packer (as a CI runner cancelling the job, or the
   * OOM killer, does): Packer never cleans up, so its builder instance, packer_* key pair and security
   * group stay, and so does the bake lock. The lock names a process of this host that no longer runs;
   * the next prune ends that bake's builder at once (not six hours later), and the next bake takes the
   * lock over and bakes.
   */
  @Test
  void aBakeKilledWithItsPackerIsCleanedByTheNextPruneAndItsLockTakenByTheNextBake(MotoServer moto)
      throws Exception {
    try (ServerSocket silentSsh = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      Process bake = startBakeWaitingForSsh(moto, silentSsh);
      List<ProcessHandle> tree = bake.descendants().toList();
      assertThat(tree).as("Packer runs under the bake").isNotEmpty();
      List<String> pids = new ArrayList<>(List.of(Long.toString(bake.pid())));
      tree.forEach(p -> pids.add(Long.toString(p.pid())));
      List<String> command = new ArrayList<>(List.of("kill", "-KILL"));
      command.addAll(pids);
      assertThat(Shell.run(command, Map.of(), Duration.ofSeconds(10)).exitCode()).isZero();
      assertThat(bake.waitFor(30, TimeUnit.SECONDS)).isTrue();
      tree.forEach(p -> Await.until("process " + p.pid() + " to end", Duration.ofSeconds(30),
          () -> !p.isAlive()));
    }
    List<Instance> leaked = liveBuilders();
    assertThat(leaked).hasSize(1);
    assertThat(packerKeyPairs()).hasSize(1);
    assertThat(packerGroups()).hasSize(1);
    assertThat(BakeLockHolder.abandonedHere(lockValue())).as("the lock names a process that no longer runs").isTrue();

    Shell.Result prune = Shell.ami(moto.environment(), "prune", "--project", "demo", "--history",
        tmp.resolve("ami-history.md").toString());

    assertThat(prune.exitCode()).as(prune.err()).isZero();
    assertThat(prune.out()).contains("stale builder " + leaked.get(0).instanceId());
    assertThat(liveBuilders()).isEmpty();
    assertThat(packerKeyPairs()).isEmpty();
    assertThat(packerGroups()).isEmpty();
    assertThat(lockValue()).as("prune leaves the lock to the next bake").isNotNull();

    Shell.Result next = Shell.ami(moto.environment(), "bake", "--project", "demo", "--history",
        tmp.resolve("ami-history.md").toString());

    assertThat(next.exitCode()).as(next.err()).isZero();
    assertThat(next.err()).contains("taking over the stale bake lock", "that process no longer runs on this host");
    assertThat(images()).singleElement().isEqualTo(parameter("/ami-pipeline/demo/ami-id"));
    assertThat(lockValue()).isNull();
    assertThat(liveBuilders()).isEmpty();
  }

  /**
   * Only the bake's JVM is killed; its Packer lives on, orphaned, waiting for SSH with its builder
   * up. The next bake takes the dead bake's lock over and, holding it, ends every builder of the
   * project before starting its own Packer (the orphan's build then fails on its own).
   */
  @Test
  void aBakeKilledAloneIsTakenOverByTheNextBakeWhichEndsTheLeakedBuilder(MotoServer moto) throws Exception {
    List<ProcessHandle> orphans = List.of();
    try (ServerSocket silentSsh = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      Process bake = startBakeWaitingForSsh(moto, silentSsh);
      orphans = bake.descendants().toList();
      assertThat(Shell.run(List.of("kill", "-KILL", Long.toString(bake.pid())), Map.of(), Duration.ofSeconds(10))
          .exitCode()).isZero();
      assertThat(bake.waitFor(30, TimeUnit.SECONDS)).isTrue();
      String leaked = liveBuilders().get(0).instanceId();

      Shell.Result next = Shell.ami(moto.environment(), "bake", "--project", "demo", "--history",
          tmp.resolve("ami-history.md").toString());

      assertThat(next.exitCode()).as(next.err()).isZero();
      assertThat(next.err()).contains("taking over the stale bake lock",
          "ami: builder of demo (an earlier bake left it running): terminated builder " + leaked);
      assertThat(liveBuilders()).isEmpty();
      assertThat(images()).singleElement().isEqualTo(parameter("/ami-pipeline/demo/ami-id"));
      assertThat(lockValue()).isNull();
    } finally {
      orphans.forEach(ProcessHandle::destroyForcibly);
    }
  }

  // ---- helpers --------------------------------------------------------------------------------------

  private Process startPrune(FaultProxy proxy, MotoServer moto, int run) throws IOException {
    return Shell.start(Shell.amiCommand("prune", "--project", "demo", "--keep", "3", "--history",
            tmp.resolve("ami-history.md").toString()), proxy.environment(moto), tmp.resolve("prune-" + run + ".out"),
        tmp.resolve("prune-" + run + ".err"));
  }

  /**
   * A bake whose Packer sits in "Waiting for SSH" with its builder up: --ssh-target points at a
   * loopback port that accepts connections and never speaks SSH.
   */
  private Process startBakeWaitingForSsh(MotoServer moto, ServerSocket silentSsh) throws Exception {
    Path err = tmp.resolve("killed-bake.err");
    Process bake = Shell.start(Shell.amiCommand("bake", "--project", "demo", "--ssh-target",
            "127.0.0.1:" + silentSsh.getLocalPort(), "--history", tmp.resolve("ami-history.md").toString()),
        moto.environment(), tmp.resolve("killed-bake.out"), err);
    Await.until("Packer waits for SSH", Duration.ofMinutes(2), bake,
        () -> read(err).contains("Waiting for SSH to become available"));
    assertThat(liveBuilders()).as("the builder instance runs").hasSize(1);
    return bake;
  }

  private int remaining(Set<String> images, Set<String> snapshots) {
    return remainingImages(images).size() + remainingSnapshots(snapshots).size();
  }

  private Set<String> remainingImages(Set<String> images) {
    Set<String> present = aws.ec2().describeImagesPaginator(b -> b.owners("self").filters(owner())).images().stream()
        .map(i -> i.imageId()).collect(Collectors.toCollection(HashSet::new));
    present.retainAll(images);
    return present;
  }

  private Set<String> remainingSnapshots(Set<String> snapshots) {
    Set<String> present = aws.ec2().describeSnapshotsPaginator(b -> b.filters(owner())).snapshots().stream()
        .map(s -> s.snapshotId()).collect(Collectors.toCollection(HashSet::new));
    present.retainAll(snapshots);
    return present;
  }

  private List<Instance> liveBuilders() {
    return aws.ec2().describeInstancesPaginator(b -> b.filters(
            Filter.builder().name("instance-state-name").values("pending", "running", "stopping", "stopped").build(),
            Filter.builder().name("tag:" + Tags.BUILDER).values("demo").build()))
        .reservations().stream().flatMap(r -> r.instances().stream()).toList();
  }

  private List<String> packerKeyPairs() {
    return aws.ec2().describeKeyPairs().keyPairs().stream().map(k -> k.keyName()).filter(n -> n.startsWith("packer_"))
        .toList();
  }

  private List<String> packerGroups() {
    return aws.ec2().describeSecurityGroups().securityGroups().stream().map(g -> g.groupName())
        .filter(n -> n.startsWith("packer_")).toList();
  }

  private Set<String> images() {
    return aws.ec2().describeImagesPaginator(b -> b.owners("self").filters(owner(),
            Filter.builder().name("tag:" + Tags.PROJECT).values("demo").build()))
        .images().stream().map(i -> i.imageId()).collect(Collectors.toCollection(TreeSet::new));
  }

  private String lockValue() {
    try {
      return parameter("/ami-pipeline/demo/bake-lock");
    } catch (ParameterNotFoundException e) {
      return null;
    }
  }

  private String parameter(String name) {
    return aws.ssm().getParameter(b -> b.name(name)).parameter().value();
  }

  private static Filter owner() {
    return Filter.builder().name("owner-id").values(EmulatorState.ACCOUNT).build();
  }

  private static String read(Path file) {
    try {
      return Files.exists(file) ? Files.readString(file) : "";
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
