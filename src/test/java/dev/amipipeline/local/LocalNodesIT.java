package dev.amipipeline.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.amipipeline.testing.Await;
import dev.amipipeline.testing.Shell;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import software.amazon.awssdk.services.ec2.model.Instance;

/**
 * A run of two nodes on local instances: {@code ami launch --local --count 2 --follow} boots both
 * instances of the run here at once, each node's first-boot finds and ranks the run's instances
 * through the emulator as on EC2, and the job of each gets its rank, the node count, the master's
 * address and every node's address; a cancel from another terminal, Ctrl-C and {@code kill -9} of the
 * command end every node, here and in the emulator. The demo image is the one {@link LocalStack} bakes once for
 * every local test class.
 */
class LocalNodesIT {

  /**
   * Prints what the node got, then stays a while: a node that ends is terminated in the emulator,
   * and the other must still find it running when it lists the run's instances (on EC2 a training
   * job's rendezvous keeps its nodes together).
   */
  static final String PRINTS_ITS_RANK = """
      #!/bin/bash
      echo "rank $AMI_NODE_RANK of $AMI_NODE_COUNT; master $AMI_MASTER_ADDR; ips $(paste -sd, <<<"$AMI_NODE_IPS")"
      sleep 12
      echo "rank $AMI_NODE_RANK done"
      """;
  static final Pattern NODE_LINE = Pattern.compile(
      "^\\[(i-[0-9a-f]+)] rank (\\d) of (\\d); master (\\S+); ips (\\S+)$", Pattern.MULTILINE);

  @RegisterExtension static final LocalStack local = new LocalStack();

  @BeforeAll
  static void bakeTheDemoProject() {
    local.bakedDemo();
  }

  /** What one node's job printed. */
  record Node(String instanceId, int rank, int count, String master, String ips) {}

  @Test
  void twoNodesBootHereAtOnceAndAgreeOnTheirRanksAndMaster() throws Exception {
    local.jobs.publish(PRINTS_ITS_RANK);
    Instant start = Instant.now();

    Shell.Result launch = local.ami("launch", "--project", LocalStack.DEMO, "--local", "--count", "2", "--follow",
        "--poll-interval-ms", "500");

    Duration took = Duration.between(start, Instant.now());
    System.err.println("ami launch --local --count 2 --follow took " + took.toSeconds() + " s; its stdout:\n"
        + launch.out() + "its stderr:\n" + launch.err());
    assertThat(launch.exitCode()).as(launch.err()).isZero();
    String run = LocalStack.runIdIn(launch.out());
    List<Node> followed = nodesIn(launch.out());
    assertThat(followed).as("both nodes' lines, prefixed with their instance ids: %s", launch.out()).hasSize(2);
    assertThat(followed.stream().map(Node::rank)).containsExactlyInAnyOrder(0, 1);
    assertThat(followed).allSatisfy(n -> assertThat(n.count()).isEqualTo(2));
    assertThat(followed.stream().map(Node::master).distinct()).as("one master").hasSize(1);
    assertThat(followed.stream().map(Node::ips).distinct()).as("one list of addresses").hasSize(1);

    // The ranks are the emulator's private addresses in numeric order; the master is rank 0's.
    Map<String, Instance> instances = followed.stream().map(Node::instanceId)
        .collect(Collectors.toMap(id -> id, local::instance));
    List<String> byAddress = instances.values().stream().map(Instance::privateIpAddress)
        .sorted(Comparator.comparing(LocalNodesIT::numeric)).toList();
    assertThat(followed.get(0).ips()).isEqualTo(String.join(",", byAddress));
    Node rank0 = followed.stream().filter(n -> n.rank() == 0).findFirst().orElseThrow();
    assertThat(rank0.master()).isEqualTo(instances.get(rank0.instanceId()).privateIpAddress());
    assertThat(instances.values()).allSatisfy(i -> {
      assertThat(i.state().nameAsString()).isEqualTo("terminated");
      assertThat(i.tags()).anyMatch(t -> t.key().equals("ami-pipeline:run") && t.value().equals(run));
    });
    for (String id : instances.keySet()) {
      assertThat(launch.out()).contains("job on " + id + " ended: exit code 0 (exited)");
    }

    Shell.Result logs = local.ami("logs", run);
    assertThat(logs.exitCode()).as(logs.err()).isZero();
    assertThat(nodesIn(logs.out())).as("the run's logs in S3: %s", logs.out())
        .containsExactlyInAnyOrderElementsOf(followed);

    JsonNode row = local.runsRow(LocalStack.DEMO, run);
    assertThat(row.get("state").asText()).isEqualTo("succeeded");
    assertThat(row.get("attempts").asInt()).isEqualTo(1);
    List<String> rowInstances = new ArrayList<>();
    row.get("instances").forEach(i -> rowInstances.add(i.get("instanceId").asText()));
    assertThat(rowInstances).as("one run of two instances").containsExactlyInAnyOrderElementsOf(instances.keySet());
    // LocalStack checks after the test that nothing of the run is left, in the emulator or on this machine.
  }

  /** Prints what the node got, as {@link #PRINTS_ITS_RANK} does, then runs until it is stopped. */
  static final String RUNS_UNTIL_STOPPED = """
      #!/bin/bash
      trap 'echo "rank $AMI_NODE_RANK stopped"; exit 143' TERM
      echo "rank $AMI_NODE_RANK of $AMI_NODE_COUNT; master $AMI_MASTER_ADDR; ips $(paste -sd, <<<"$AMI_NODE_IPS")"
      while :; do
        sleep 0.5 &
        wait $!
      done
      """;

  @Test
  void aCancelFromAnotherTerminalHaltsEveryNodeInOrder(@TempDir Path tmp) throws Exception {
    local.jobs.publish(RUNS_UNTIL_STOPPED);
    Path out = tmp.resolve("cancelled.out");
    Path err = tmp.resolve("cancelled.err");
    Process launch = Shell.start(local.amiCommand("launch", "--project", LocalStack.DEMO, "--local", "--count", "2",
        "--follow", "--poll-interval-ms", "500"), local.environment(), out, err);
    String run;
    try {
      Await.until("both nodes' jobs in the followed log", Duration.ofMinutes(3),
          () -> nodesIn(LocalStack.read(out)).size() == 2 || !launch.isAlive());
      run = LocalStack.runIdIn(LocalStack.read(out));

      Shell.Result cancel = local.ami("cancel", run);

      assertThat(cancel.exitCode()).as(cancel.err()).isZero();
      assertThat(launch.waitFor(4, TimeUnit.MINUTES)).as("the launch ends: %s", LocalStack.read(err)).isTrue();
    } finally {
      Shell.stop(launch);
    }

    List<Node> nodes = nodesIn(LocalStack.read(out));
    assertThat(nodes).hasSize(2);
    for (Node node : nodes) {
      assertThat(LocalStack.read(err)).contains(node.instanceId() + " is terminated in the emulator: halting it");
      assertThat(LocalStack.read(out)).contains("[" + node.instanceId() + "] rank " + node.rank() + " stopped",
          "job on " + node.instanceId() + " ended: exit code 143 (cancelled)");
    }
    assertThat(launch.exitValue()).as("the jobs' own code after SIGTERM").isEqualTo(143);
    assertThat(local.runsRow(LocalStack.DEMO, run).get("state").asText()).isEqualTo("cancelled");
  }

  @ParameterizedTest
  @ValueSource(strings = {"KILL", "INT"})
  void killingTheCommandOrCtrlCEndsEveryNodeHereAndInTheEmulator(String signal, @TempDir Path tmp) throws Exception {
    local.jobs.publish(RUNS_UNTIL_STOPPED);
    Path out = tmp.resolve("killed.out");
    Process launch = Shell.start(local.amiCommand("launch", "--project", LocalStack.DEMO, "--local", "--count", "2",
        "--follow", "--poll-interval-ms", "500"), local.environment(), out, tmp.resolve("killed.err"));
    List<Node> nodes;
    try {
      Await.until("both nodes' jobs in the followed log", Duration.ofMinutes(3),
          () -> nodesIn(LocalStack.read(out)).size() == 2 || !launch.isAlive());
      nodes = nodesIn(LocalStack.read(out));
      assertThat(nodes).hasSize(2);
      assertThat(local.machineFolders()).hasSize(2);
    } finally {
      // KILL: no shutdown hook, no finally block; INT: Ctrl-C in the terminal.
      LocalStack.host("kill", "-" + signal, Long.toString(launch.pid()));
    }
    assertThat(launch.waitFor(90, TimeUnit.SECONDS)).as("the command ends").isTrue();

    try {
      Await.until("every node's machine gone and its instance ended in the emulator", Duration.ofSeconds(90),
          () -> local.machineFolders().isEmpty() && nodes.stream()
              .allMatch(n -> local.instance(n.instanceId()).state().nameAsString().equals("terminated")));
    } catch (AssertionError e) {
      throw new AssertionError(e.getMessage() + "; left: " + LocalStack.host("find", local.state.resolve("machines")
          .toString(), "-maxdepth", "2").out() + LocalStack.host("bash", "-c", "tail -n 20 "
          + local.state.resolve("machines") + "/*/console.log").out(), e);
    }
    // LocalStack then checks that no process or mount of the machines is left.
  }

  static List<Node> nodesIn(String output) {
    List<Node> nodes = new ArrayList<>();
    Matcher m = NODE_LINE.matcher(output);
    while (m.find()) {
      nodes.add(new Node(m.group(1), Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3)), m.group(4),
          m.group(5)));
    }
    return nodes;
  }

  /** An IPv4 address as a number, for ordering as first-boot ranks. */
  static long numeric(String address) {
    long value = 0;
    for (String part : address.split("\\.")) {
      value = value * 256 + Long.parseLong(part);
    }
    return value;
  }
}
