package dev.amipipeline.bake;

import static org.assertj.core.api.Assertions.assertThat;

import dev.amipipeline.aws.AwsClients;
import dev.amipipeline.aws.AwsSettings;
import dev.amipipeline.history.HistoryFile;
import dev.amipipeline.testing.Await;
import dev.amipipeline.testing.Ec2Seed;
import dev.amipipeline.testing.MotoExtension;
import dev.amipipeline.testing.MotoServer;
import dev.amipipeline.testing.Shell;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.ec2.model.Image;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ssm.model.ParameterNotFoundException;

/** `ami bake` as real processes (the jar) against moto: signals and two bakes at once. */
@ExtendWith(MotoExtension.class)
class BakeProcessIT {

  @TempDir Path tmp;
  private AwsClients aws;
  private BakeWorkspace ws;

  @BeforeEach
  void setUp(MotoServer moto) {
    aws = AwsClients.create(new AwsSettings(MotoServer.REGION, null, moto.endpoint()));
    ws = BakeWorkspace.create(tmp.resolve("repo"));
  }

  @AfterEach
  void tearDown() {
    aws.close();
  }

  /**
   * Ctrl-C while Packer has a builder instance running. Packer is kept busy for real: with
   * --ssh-target it connects to a loopback port that accepts and never speaks SSH, so it sits in
   * "Waiting for SSH" with the instance up (a provisioner-free local build would be over in a second).
   * The signal goes to the JVM only, as from a script or CI; the bake must pass it on to Packer.
   */
  @Test
  void ctrlCStopsPackerWhichRemovesItsBuilderThenTheLockIsReleased(MotoServer moto) throws Exception {
    Path out = tmp.resolve("out.txt");
    Path err = tmp.resolve("err.txt");
    try (ServerSocket silentSsh = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      Process bake = Shell.start(Shell.amiCommand(ws.bake("--project", "demo", "--ssh-target",
          "127.0.0.1:" + silentSsh.getLocalPort())), moto.environment(), out, err);
      try {
        Await.until("Packer waits for SSH", Duration.ofMinutes(2), bake,
            () -> read(err).contains("Waiting for SSH to become available"));
        assertThat(liveBuilders()).as("the builder instance runs").hasSize(1);
        assertThat(sigintIgnored(bake)).as("SIGINT is ignored by the process: this environment cannot test Ctrl-C")
            .isFalse();

        Shell.Result kill = Shell.run(List.of("kill", "-INT", Long.toString(bake.pid())), java.util.Map.of(),
            Duration.ofSeconds(10));
        assertThat(kill.exitCode()).isZero();

        assertThat(bake.waitFor(3, TimeUnit.MINUTES)).as("the bake ends after Ctrl-C").isTrue();
      } finally {
        bake.destroyForcibly();
      }
      String stderr = read(err);
      assertThat(bake.exitValue()).as(stderr).isEqualTo(130);
      assertThat(stderr).contains("Cancelling build after receiving terminated", "Deleting temporary keypair",
          "Cleanly cancelled builds");
      assertThat(stderr.lines().filter(l -> l.startsWith("ami: ")).reduce((a, b) -> b))
          .hasValueSatisfying(last -> assertThat(last).startsWith("ami: interrupted:").contains("lock"));
    }
    assertThat(liveBuilders()).as("no builder instance left running").isEmpty();
    assertThat(aws.ec2().describeKeyPairs().keyPairs()).noneMatch(k -> k.keyName().startsWith("packer_"));
    assertThat(aws.ec2().describeSecurityGroups().securityGroups()).noneMatch(g -> g.groupName().startsWith("packer_"));
    assertThat(parameter("/ami-pipeline/demo/bake-lock")).as("the lock is released").isNull();
    assertThat(parameter("/ami-pipeline/demo/ami-id")).as("nothing recorded").isNull();
    assertThat(images("demo")).isEmpty();
    assertThat(ws.history()).doesNotExist();
  }

  /**
   * Two bakes of one project at once. The first is held inside Packer by a shell-local step until the
   * test opens a gate, so the two really overlap; the step gives up by itself after two minutes.
   */
  @Test
  void twoConcurrentBakesOfOneProjectOnlyOneBakesTheOtherExits3(MotoServer moto) throws Exception {
    Path reached = tmp.resolve("reached");
    Path gate = tmp.resolve("gate");
    ws.withBuildBlock("""
          provisioner "shell-local" {
            inline = ["touch %s", "i=0; while [ ! -e %s ] && [ $i -lt 1200 ]; do i=$((i+1)); sleep 0.1; done"]
          }
        """.formatted(reached, gate));
    Path out = tmp.resolve("first-out.txt");
    Path err = tmp.resolve("first-err.txt");
    Process first = Shell.start(Shell.amiCommand(ws.bake("--project", "demo")), moto.environment(), out, err);
    Shell.Result second;
    try {
      Await.until("the first bake is inside Packer", Duration.ofMinutes(2), first, () -> Files.exists(reached));

      second = Shell.ami(moto.environment(), ws.bake("--project", "demo"));

      Files.createFile(gate);
      assertThat(first.waitFor(3, TimeUnit.MINUTES)).isTrue();
    } finally {
      if (!Files.exists(gate)) {
        Files.createFile(gate);
      }
      first.destroyForcibly();
    }
    assertThat(second.exitCode()).as(second.err()).isEqualTo(3);
    assertThat(second.errLines()).filteredOn(l -> l.startsWith("ami: ")).singleElement().asString()
        .contains("another bake of demo is running", "pid " + first.pid());
    assertThat(first.exitValue()).as(read(err)).isZero();

    List<Image> amis = images("demo");
    assertThat(amis).hasSize(1);
    assertThat(parameter("/ami-pipeline/demo/ami-id")).isEqualTo(amis.get(0).imageId());
    assertThat(parameter("/ami-pipeline/demo/bake-lock")).isNull();
    assertThat(new HistoryFile(ws.history()).read().rows()).hasSize(1);
    assertThat(read(out)).contains("demo: baked " + amis.get(0).imageId());
  }

  private List<Instance> liveBuilders() {
    return aws.ec2().describeInstances().reservations().stream().flatMap(r -> r.instances().stream())
        .filter(i -> i.tags().contains(Ec2Seed.tag("ami-pipeline:builder", "demo")))
        .filter(i -> !i.state().nameAsString().equals("terminated"))
        .toList();
  }

  private List<Image> images(String project) {
    return aws.ec2().describeImages(b -> b.owners("self")).images().stream()
        .filter(i -> i.tags().contains(Ec2Seed.tag("ami-pipeline:project", project)))
        .toList();
  }

  private String parameter(String name) {
    try {
      return aws.ssm().getParameter(b -> b.name(name)).parameter().value();
    } catch (ParameterNotFoundException e) {
      return null;
    }
  }

  private static String read(Path file) {
    try {
      return Files.exists(file) ? Files.readString(file) : "";
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** Whether {@code p} ignores SIGINT (as background jobs of a non-interactive shell do). */
  private static boolean sigintIgnored(Process p) throws IOException {
    String status = Files.readString(Path.of("/proc/" + p.pid() + "/status"));
    String mask = status.lines().filter(l -> l.startsWith("SigIgn:")).findFirst().orElseThrow().substring(7).strip();
    return (Long.parseUnsignedLong(mask, 16) & (1L << 1)) != 0; // bit n-1 is signal n; SIGINT is 2
  }
}
