package dev.amipipeline.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.amipipeline.aws.AwsClients;
import dev.amipipeline.aws.AwsSettings;
import dev.amipipeline.project.Tags;
import dev.amipipeline.testing.Cli;
import dev.amipipeline.testing.EmulatorState;
import dev.amipipeline.testing.FaultProxy;
import dev.amipipeline.testing.MotoExtension;
import dev.amipipeline.testing.MotoServer;
import dev.amipipeline.testing.Shell;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.HttpTokensState;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ssm.model.ParameterNotFoundException;

/**
 * Faults on the wire: every command talks to moto_server through scripts/lib/aws-proxy.py, which
 * answers a share of the calls with the service's throttling error, resets connections, loses
 * answers after the server acted, or fails everything. The promise: the same end state as without
 * faults, exit 0, no resource removed twice, nothing kept ever touched; and when nothing gets
 * through, one line and exit 1 within a bounded time.
 */
@ExtendWith(MotoExtension.class)
class FaultsIT {

  /** Makes the proxy's fault choices repeatable; this one resets some of the CLI's first calls. */
  private static final long SEED = 16L;
  private static final String REGION = MotoServer.REGION;

  @TempDir Path tmp;
  private AwsClients aws; // straight to moto: seeding and checking never see a fault
  private FaultProxy proxy;

  @BeforeEach
  void setUp(MotoServer moto) {
    aws = AwsClients.create(new AwsSettings(REGION, null, moto.endpoint()));
    proxy = FaultProxy.start(moto.endpoint(), SEED);
  }

  @AfterEach
  void tearDown() {
    proxy.close();
    aws.close();
  }

  /**
   * 20% of the calls answered with the service's throttling error (RequestLimitExceeded, HTTP 503, for
   * EC2) and 5% of connections reset before the request reaches the server. Packer's own EC2 calls get
   * the throttling but not the resets: Packer's SDK (aws-sdk-go v1) never retries a request whose
   * connection was reset while it waited for the answer, because it cannot know whether the server
   * acted, so a reset fails the build however the bake drives it (see
   * aFailedPackerBuildLeavesNoBuilderBehind for what the bake does then).
   */
  @Test
  void bakeLaunchListAndPruneEndRightThroughThrottlingAndResets() {
    List<RecordedBakes.Baked> older = RecordedBakes.seed(aws, "demo", 8);
    String inUse = older.get(2).amiId();
    String inTemplate = older.get(4).amiId();
    aws.ec2().runInstances(b -> b.imageId(inUse).minCount(1).maxCount(1).instanceType("t3.micro"));
    aws.ec2().createLaunchTemplate(b -> b.launchTemplateName("app").launchTemplateData(d -> d.imageId(inTemplate)));
    proxy.configure(faults(0.2, 0.05));

    Cli.Result bake = cli("bake", "--project", "demo", "--history", history());

    assertThat(bake.exitCode()).as(bake.err()).isZero();
    String baked = parameter("/ami-pipeline/demo/ami-id");
    Set<String> all = new TreeSet<>(ids(older));
    all.add(baked);
    assertThat(projectImages()).isEqualTo(all);
    assertThat(aws.ec2().describeSnapshots(b -> b.filters(tag(Tags.PROJECT, "demo"), tag(Tags.INPUTS,
        inputsOf(baked)))).snapshots()).as("the baked AMI's snapshots carry its tags").isNotEmpty();
    assertThat(liveBuilders()).isEmpty();
    assertThat(packerLeftovers()).isEmpty();
    assertThat(parameterOrNull("/ami-pipeline/demo/bake-lock")).isNull();

    Cli.Result launch = cli("launch", "--project", "demo");

    assertThat(launch.exitCode()).as(launch.err()).isZero();
    List<Instance> launched = liveInstances().stream().filter(i -> i.imageId().equals(baked)).toList();
    assertThat(launched).singleElement().satisfies(i -> {
      assertThat(launch.out()).contains(i.instanceId());
      assertThat(i.metadataOptions().httpTokens()).isEqualTo(HttpTokensState.REQUIRED);
    });

    Cli.Result listed = cli("list", "--project", "demo", "--output", "json");
    proxy.calm();
    Cli.Result calmList = cli("list", "--project", "demo", "--output", "json");
    proxy.configure(faults(0.2, 0.05));

    assertThat(listed.exitCode()).as(listed.err()).isZero();
    assertThat(listed.out()).as("what list shows does not depend on faults").isEqualTo(calmList.out());

    Set<String> kept = Set.of(baked, older.get(7).amiId(), older.get(6).amiId(), inUse, inTemplate);
    Set<String> keptSnapshots = snapshotsOf(older, kept);
    keptSnapshots.addAll(mappedSnapshots(baked));
    Set<String> deleted = new TreeSet<>(all);
    deleted.removeAll(kept);
    Set<String> deletedSnapshots = snapshotsOf(older, deleted);
    JsonNode before = proxy.stats();
    System.out.println("faults during bake, launch and list: " + before.path("failed").asInt() + " throttled, "
        + before.path("reset").asInt() + " reset of " + before.path("total").asInt() + " requests");
    proxy.resetCounters();

    Cli.Result prune = cli("prune", "--project", "demo", "--keep", "3", "--history", history());

    JsonNode stats = proxy.stats();
    System.out.println("faults during prune: " + stats.path("failed").asInt() + " throttled, "
        + stats.path("reset").asInt() + " reset of " + stats.path("total").asInt() + " requests");
    assertThat(prune.exitCode()).as(prune.err()).isZero();
    assertThat(prune.err()).doesNotContain("FAILED");
    assertThat(projectImages()).isEqualTo(new TreeSet<>(kept));
    Set<String> snapshotsNow = ownSnapshots();
    assertThat(snapshotsNow).containsAll(keptSnapshots).doesNotContainAnyElementsOf(deletedSnapshots);
    assertThat(resourceCounts(stats, "DeregisterImage").keySet()).isEqualTo(deleted);
    assertThat(resourceCounts(stats, "DeregisterImage")).allSatisfy((image, c) ->
        assertThat(c.path("applied").asInt()).as(image + " deregistered once").isEqualTo(1));
    assertThat(resourceCounts(stats, "DeleteSnapshot").keySet()).as("no delete is even attempted for a kept"
        + " image's snapshot").isEqualTo(deletedSnapshots);
    assertThat(resourceCounts(stats, "DeleteSnapshot")).allSatisfy((snapshot, c) ->
        assertThat(c.path("applied").asInt()).as(snapshot + " deleted once").isEqualTo(1));
    assertThat(before.path("failed").asInt() + stats.path("failed").asInt()).as("calls were throttled").isPositive();
    assertThat(before.path("reset").asInt() + stats.path("reset").asInt()).as("connections were reset").isPositive();
  }

  /**
   * The server acted but the answer never came back (the proxy resets the connection after moto
   * answered): the retried DeregisterImage / DeleteSnapshot finds the resource gone, which counts as
   * done. A second successful removal is impossible; the user sees exit 0 and the right end state.
   */
  @Test
  void aRemovalWhoseAnswerWasLostIsRetriedAndCountsAsDone() {
    List<RecordedBakes.Baked> bakes = RecordedBakes.seed(aws, "demo", 6);
    proxy.configure(Map.of("lose_next", Map.of("DeregisterImage", 2, "DeleteSnapshot", 2)));

    Cli.Result prune = cli("prune", "--project", "demo", "--keep", "2", "--history", history());

    assertThat(prune.exitCode()).as(prune.err()).isZero();
    assertThat(prune.err()).doesNotContain("FAILED");
    Set<String> kept = Set.of(bakes.get(4).amiId(), bakes.get(5).amiId());
    assertThat(projectImages()).isEqualTo(kept);
    Set<String> deleted = new TreeSet<>(ids(bakes));
    deleted.removeAll(kept);
    assertThat(ownSnapshots()).containsAll(snapshotsOf(bakes, kept))
        .doesNotContainAnyElementsOf(snapshotsOf(bakes, deleted));
    JsonNode stats = proxy.stats();
    assertThat(stats.path("lost").asInt()).isEqualTo(4);
    for (String action : List.of("DeregisterImage", "DeleteSnapshot")) {
      Map<String, JsonNode> counts = resourceCounts(stats, action);
      assertThat(counts.values()).allSatisfy(c -> assertThat(c.path("applied").asInt()).isEqualTo(1));
      assertThat(counts.values().stream().filter(c -> c.path("requests").asInt() == 2)).as(action
          + ": the two whose answer was lost were sent again").hasSize(2);
    }
  }

  /**
   * With --if-changed the bake asks EC2 for the current image. Only an answer that the image is gone
   * means "bake a new one"; any other (here a refusal scoped to that one image, which moto cannot
   * give, so the proxy answers it) leaves the bake unable to tell whether its inputs changed: it stops
   * in one line with exit 1 before the lock, Packer or a new image.
   */
  @Test
  void anIfChangedBakeRefusedTheCurrentImageStopsInsteadOfBakingAgain() {
    Cli.Result first = cli("bake", "--project", "demo", "--history", history());
    assertThat(first.exitCode()).as(first.err()).isZero();
    String current = parameter("/ami-pipeline/demo/ami-id");
    proxy.configure(Map.of("deny", List.of(Map.of("action", "DescribeImages", "params", Map.of("ImageId.1", current),
        "status", 403, "code", "UnauthorizedOperation",
        "message", "You are not authorized to perform this operation."))));

    Cli.Result again = cli("bake", "--project", "demo", "--if-changed", "--history", history());

    assertThat(again.exitCode()).as(again.err()).isEqualTo(1);
    assertThat(again.errLines()).filteredOn(l -> l.startsWith("ami: ")).singleElement().asString()
        .startsWith("ami: access denied by AWS (Ec2 UnauthorizedOperation): You are not authorized");
    assertThat(proxy.stats().path("denied").asInt()).as("the refusal was given").isPositive();
    assertThat(projectImages()).containsExactly(current);
    assertThat(parameter("/ami-pipeline/demo/ami-id")).isEqualTo(current);
    assertThat(parameterOrNull("/ami-pipeline/demo/bake-lock")).isNull();
    assertThat(liveBuilders()).isEmpty();
  }

  /**
   * The bake lock is created with Overwrite=false. When that call's answer is lost, the SDK's retry
   * finds the parameter existing; it holds our own holder value, so the lock is ours.
   */
  @Test
  void aBakeWhoseLockAnswerWasLostStillHoldsItsLock() {
    proxy.configure(Map.of("lose_next", Map.of("PutParameter", 1), "record_actions", List.of("PutParameter")));

    Cli.Result bake = cli("bake", "--project", "demo", "--history", history());

    assertThat(bake.exitCode()).as(bake.err()).isZero();
    List<JsonNode> puts = proxy.requests();
    assertThat(puts.get(0).path("params").path("Name").asText()).isEqualTo("/ami-pipeline/demo/bake-lock");
    assertThat(puts.get(0).path("verdict").asText()).isEqualTo("lost");
    assertThat(puts.get(1).path("params").path("Name").asText()).isEqualTo("/ami-pipeline/demo/bake-lock");
    assertThat(puts.get(1).path("code").asText()).isEqualTo("ParameterAlreadyExists");
    assertThat(projectImages()).singleElement().isEqualTo(parameter("/ami-pipeline/demo/ami-id"));
    assertThat(parameterOrNull("/ami-pipeline/demo/bake-lock")).isNull();
  }

  /**
   * RunInstances is not naturally idempotent: EC2 makes a retry safe through the request's
   * ClientToken, which must be the same on every attempt. (moto ignores ClientToken and starts a
   * second instance here, so this test checks what is sent, not what moto did.)
   */
  @Test
  void aRunInstancesRetriedAfterALostAnswerCarriesTheSameClientToken() {
    RecordedBakes.seedOne(aws, "demo", "demo-1");
    proxy.configure(Map.of("lose_next", Map.of("RunInstances", 1), "record_actions", List.of("RunInstances")));

    Cli.Result launch = cli("launch", "--project", "demo");

    assertThat(launch.exitCode()).as(launch.err()).isZero();
    List<JsonNode> runs = proxy.requests();
    assertThat(runs).hasSize(2);
    String token = runs.get(0).path("params").path("ClientToken").asText();
    assertThat(token).isNotBlank();
    assertThat(runs.get(1).path("params").path("ClientToken").asText()).isEqualTo(token);
  }

  /**
   * Packer's SDK does not retry a reset it cannot judge, so the build fails, and here its own
   * TerminateInstances is reset too: the builder would stay up, billed, until a prune six hours on.
   * The bake holds the lock and its Packer has exited, so any builder of the project still running
   * is a leak: it ends it, with its key pair and security group, then reports Packer's error.
   */
  @Test
  void aFailedPackerBuildLeavesNoBuilderBehind() {
    proxy.configure(Map.of("agent_rates", Map.of("aws-sdk-go", Map.of("reset_rate", 1.0)), "reset_rate", 0,
        "fault_actions", List.of("CreateImage", "TerminateInstances")));

    Cli.Result bake = cli("bake", "--project", "demo", "--history", history());

    assertThat(bake.exitCode()).isEqualTo(1);
    assertThat(bake.err()).contains("Error terminating instance");
    assertThat(bake.errLines()).filteredOn(l -> l.startsWith("ami: ")).last().asString()
        .startsWith("ami: packer build failed for demo: Error creating AMI");
    assertThat(bake.err()).contains("ami: builder of demo (Packer exited and left it running): terminated builder");
    assertThat(liveBuilders()).isEmpty();
    assertThat(packerLeftovers()).isEmpty();
    assertThat(parameterOrNull("/ami-pipeline/demo/bake-lock")).isNull();
    assertThat(parameterOrNull("/ami-pipeline/demo/ami-id")).isNull();
  }

  /**
   * When nothing gets through — every call throttled, every connection reset, or an endpoint that
   * accepts connections and never answers — each command gives up within a minute (the SDK's ten
   * attempts with backoff, cut at AwsClients.API_CALL_TIMEOUT) with one line and exit 1, having
   * changed nothing. The commands run at once, as processes of the jar with default retry settings.
   */
  @Test
  void whenNothingGetsThroughEachCommandGivesUpWithinAMinuteInOneLine(MotoServer moto) throws Exception {
    RecordedBakes.seedOne(aws, "demo", "demo-1");
    String before = EmulatorState.of(moto);
    proxy.configure(Map.of("fail_rate", 1.0));
    try (FaultProxy resetting = FaultProxy.start(moto.endpoint(), SEED);
        BlackHole silent = BlackHole.open()) {
      resetting.configure(Map.of("reset_rate", 1.0));
      Map<String, Map<String, String>> endpoints = Map.of(
          "throttled", proxy.environment(moto),
          "reset", resetting.environment(moto),
          "silent", withEndpoint(moto, silent.endpoint()));
      Map<String, List<String>> commands = new LinkedHashMap<>();
      commands.put("throttled list", List.of("list"));
      commands.put("throttled prune", List.of("prune", "--keep", "1", "--history", history()));
      commands.put("throttled launch", List.of("launch", "--project", "demo"));
      commands.put("throttled bake", List.of("bake", "--project", "demo", "--history", history()));
      commands.put("reset list", List.of("list"));
      commands.put("silent list", List.of("list"));

      Map<String, Process> running = new LinkedHashMap<>();
      Map<String, CompletableFuture<Long>> millis = new LinkedHashMap<>();
      for (var c : commands.entrySet()) {
        String name = c.getKey().replace(' ', '-');
        long start = System.nanoTime();
        Process p = Shell.start(Shell.amiCommand(c.getValue().toArray(String[]::new)),
            endpoints.get(c.getKey().split(" ")[0]), tmp.resolve(name + ".out"), tmp.resolve(name + ".err"));
        running.put(c.getKey(), p);
        millis.put(c.getKey(), p.onExit().thenApply(x -> TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)));
      }
      for (var p : running.entrySet()) {
        boolean ended = p.getValue().waitFor(90, TimeUnit.SECONDS);
        if (!ended) {
          p.getValue().destroyForcibly();
        }
        assertThat(ended).as(p.getKey() + " ended").isTrue();
        long elapsed = millis.get(p.getKey()).get();
        String err = Files.readString(tmp.resolve(p.getKey().replace(' ', '-') + ".err"));
        System.out.printf("%s: gave up after %.1f s: %s%n", p.getKey(), elapsed / 1000.0, err.strip());
        assertThat(elapsed).as(p.getKey() + " gave up within a minute").isLessThan(60_000);
        assertThat(p.getValue().exitValue()).as(p.getKey() + ": " + err).isEqualTo(1);
        assertThat(err.lines().filter(l -> !l.isBlank()).toList()).as(p.getKey()).singleElement().asString()
            .startsWith("ami: ").containsAnyOf("AWS", "throttl", "reach");
      }
    }
    assertThat(EmulatorState.of(moto)).isEqualTo(before);
  }

  // ---- helpers --------------------------------------------------------------------------------------

  /** Throttling and resets for the CLI; Packer's SDK gets the throttling only (see the first test). */
  private static Map<String, Object> faults(double throttled, double reset) {
    return Map.of("fail_rate", throttled, "reset_rate", reset,
        "agent_rates", Map.of("aws-sdk-go", Map.of("reset_rate", 0)),
        "fault_actions", List.of());
  }

  private Cli.Result cli(String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(1, List.of("--endpoint-url", proxy.endpoint().toString(), "--region", REGION));
    return Cli.run(all.toArray(String[]::new));
  }

  private String history() {
    return tmp.resolve("ami-history.md").toString();
  }

  private static Map<String, String> withEndpoint(MotoServer moto, URI endpoint) {
    Map<String, String> env = new LinkedHashMap<>(moto.environment());
    env.put("AWS_ENDPOINT_URL", endpoint.toString());
    return env;
  }

  private static List<String> ids(List<RecordedBakes.Baked> bakes) {
    return bakes.stream().map(RecordedBakes.Baked::amiId).toList();
  }

  private static Set<String> snapshotsOf(List<RecordedBakes.Baked> bakes, Set<String> images) {
    return bakes.stream().filter(b -> images.contains(b.amiId())).flatMap(b -> b.snapshotIds().stream())
        .collect(Collectors.toCollection(TreeSet::new));
  }

  private Set<String> mappedSnapshots(String ami) {
    return aws.ec2().describeImages(b -> b.imageIds(ami)).images().get(0).blockDeviceMappings().stream()
        .map(m -> m.ebs().snapshotId()).collect(Collectors.toSet());
  }

  private String inputsOf(String ami) {
    return aws.ec2().describeImages(b -> b.imageIds(ami)).images().get(0).tags().stream()
        .filter(t -> t.key().equals(Tags.INPUTS)).findFirst().orElseThrow().value();
  }

  private Set<String> projectImages() {
    return aws.ec2().describeImagesPaginator(b -> b.owners("self").filters(tag(Tags.PROJECT, "demo"),
            owner())).images().stream().map(i -> i.imageId()).collect(Collectors.toCollection(TreeSet::new));
  }

  private Set<String> ownSnapshots() {
    return aws.ec2().describeSnapshotsPaginator(b -> b.filters(owner())).snapshots().stream()
        .map(s -> s.snapshotId()).collect(Collectors.toCollection(HashSet::new));
  }

  private List<Instance> liveInstances() {
    return aws.ec2().describeInstancesPaginator(b -> b.filters(Filter.builder().name("instance-state-name")
            .values("pending", "running", "stopping", "stopped").build()))
        .reservations().stream().flatMap(r -> r.instances().stream()).toList();
  }

  private List<Instance> liveBuilders() {
    return liveInstances().stream().filter(i -> i.tags().stream().anyMatch(t -> t.key().equals(Tags.BUILDER)))
        .toList();
  }

  /** Packer's temporary key pairs and security groups still in the emulator. */
  private List<String> packerLeftovers() {
    return Stream.concat(
        aws.ec2().describeKeyPairs().keyPairs().stream().map(k -> k.keyName()),
        aws.ec2().describeSecurityGroups().securityGroups().stream().map(g -> g.groupName()))
        .filter(n -> n.startsWith("packer_")).toList();
  }

  private String parameter(String name) {
    return aws.ssm().getParameter(b -> b.name(name)).parameter().value();
  }

  private String parameterOrNull(String name) {
    try {
      return parameter(name);
    } catch (ParameterNotFoundException e) {
      return null;
    }
  }

  private static Map<String, JsonNode> resourceCounts(JsonNode stats, String action) {
    Map<String, JsonNode> counts = new LinkedHashMap<>();
    stats.path("byResource").path(action).fields().forEachRemaining(e -> counts.put(e.getKey(), e.getValue()));
    return counts;
  }

  private static Filter tag(String key, String value) {
    return Filter.builder().name("tag:" + key).values(value).build();
  }

  private static Filter owner() {
    return Filter.builder().name("owner-id").values(EmulatorState.ACCOUNT).build();
  }

  /** A loopback port that accepts connections and never says a word. */
  private record BlackHole(ServerSocket socket, List<Socket> accepted) implements AutoCloseable {
    static BlackHole open() throws IOException {
      BlackHole hole = new BlackHole(new ServerSocket(0, 50, InetAddress.getLoopbackAddress()), new ArrayList<>());
      Thread t = new Thread(() -> {
        while (!hole.socket.isClosed()) {
          try {
            Socket s = hole.socket.accept();
            synchronized (hole.accepted) {
              hole.accepted.add(s);
            }
          } catch (IOException closed) {
            return;
          }
        }
      }, "black-hole");
      t.setDaemon(true);
      t.start();
      return hole;
    }

    URI endpoint() {
      return URI.create("http://127.0.0.1:" + socket.getLocalPort());
    }

    @Override
    public void close() {
      try {
        socket.close();
        synchronized (accepted) {
          for (Socket s : accepted) {
            s.close();
          }
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
