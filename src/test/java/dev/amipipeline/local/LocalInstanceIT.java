package dev.amipipeline.local;

import static dev.amipipeline.local.LocalStack.host;
import static dev.amipipeline.local.LocalStack.instanceIdIn;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.amipipeline.aws.AwsClients;
import dev.amipipeline.common.Json;
import dev.amipipeline.testing.Await;
import dev.amipipeline.testing.Shell;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.ec2.model.Instance;

/**
 * {@code ami bake --local-root} and {@code ami launch --local} as a user runs them (the jar, as a
 * process, as root): the demo project baked once with its provisioners really running in a Debian
 * root under systemd-nspawn, then launched from that image under real systemd, its job cloned from
 * a git daemon on loopback and reporting to the emulator's S3 ({@link LocalStack}).
 */
class LocalInstanceIT {

  static final String PROJECT = LocalStack.DEMO;
  static final Pattern METADATA = Pattern.compile("metadata service for (i-[0-9a-f]+) on http://127\\.0\\.0\\.1:(\\d+)");

  /** Prints a line and fails with 3. */
  static final String EXITS_3 = """
      #!/bin/bash
      echo "the job says hello from $(hostname) as $(id -un)"
      exit 3
      """;

  static final String SLEEPS = """
      #!/bin/bash
      echo "sleeping"
      sleep 600
      """;

  @RegisterExtension static final LocalStack local = new LocalStack();
  @TempDir static Path tmp;
  static AwsClients aws;
  static JobServer jobs;
  static Path state;
  static LocalStack.Baked baked;
  static String amiId;

  @BeforeAll
  static void bakeTheDemoProjectLocally() {
    aws = local.aws;
    jobs = local.jobs;
    state = local.state;
    // The shipped demo project, but its job comes from the git daemon on loopback.
    baked = local.bakedDemo();
    amiId = baked.amiId();
  }

  @Test
  void theProvisionersRanInTheContainerAndTheImageIsCleanAndReady() throws IOException {
    Shell.Result bake = baked.result();
    assertThat(bake.err()).contains("10-git: installed git version", "20-jdk: installed openjdk-17-jdk-headless",
        "40-awscli: installed aws-cli/2", "90-validate: the image is ready");
    Matcher sshd = Pattern.compile("answers SSH on 127\\.0\\.0\\.1:(\\d+) as ubuntu").matcher(bake.err());
    assertThat(sshd.find()).as("Packer's way in: %s", bake.err()).isTrue();
    assertThat(listening(Integer.parseInt(sshd.group(1)))).as("the builder's sshd port").isFalse();
    Path image = Files.createDirectories(tmp.resolve("image"));
    Shell.Result unpack = host("tar", "-C", image.toString(), "--numeric-owner", "-I", "zstd", "-xpf",
        state.resolve("images/" + amiId + ".tar.zst").toString());
    assertThat(unpack.exitCode()).as(unpack.err()).isZero();

    Shell.Result packages = host("chroot", image.toString(), "dpkg-query", "-W", "git", "openjdk-17-jdk-headless",
        "awscli", "jq");
    assertThat(packages.exitCode()).as(packages.err()).isZero();
    // In a container of its own (the JDK needs /proc), without a network.
    Shell.Result java = host("systemd-nspawn", "--quiet", "--register=no", "--keep-unit", "--private-network",
        "--machine=ami-image-check", "--directory=" + image, "/usr/bin/java", "-version");
    assertThat(java.exitCode()).as(java.err()).isZero();
    assertThat(java.out() + java.err()).contains("openjdk version \"17.");
    assertThat(host("systemctl", "--root=" + image, "is-enabled", "ami-first-boot.service").out().strip())
        .isEqualTo("enabled");
    // verify misses unknown keys unless asked to say everything.
    Shell.Result verify = Shell.run(List.of("systemd-analyze", "verify", "--root=" + image,
        "/etc/systemd/system/ami-first-boot.service"), Map.of("SYSTEMD_LOG_LEVEL", "debug"), Duration.ofMinutes(1));
    assertThat(verify.out() + verify.err()).contains("ami-first-boot.service").doesNotContain("Unknown key");

    try (Stream<Path> ssh = Files.list(image.resolve("etc/ssh"))) {
      assertThat(ssh.map(p -> p.getFileName().toString())).as("host keys and our sshd settings are gone")
          .noneMatch(n -> n.startsWith("ssh_host_")).doesNotContain("ami-pipeline-local.conf");
    }
    assertThat(Files.size(image.resolve("etc/machine-id"))).as("machine-id emptied").isZero();
    assertThat(image.resolve("home/ubuntu/.ssh/authorized_keys")).as("the bake's key").doesNotExist();
    assertThat(image.resolve("etc/ssh/sshd_config.d/ami-pipeline-local.conf")).doesNotExist();
    assertThat(Files.readString(image.resolve("etc/ami-pipeline/env"))).isEqualTo("AMI_SSM_PREFIX=/ami-pipeline\n");
    assertThat(image.resolve("etc/cloud/cloud.cfg.d/99-ami-pipeline.cfg")).as("for a cloud-init installed later")
        .content().contains("\nallow_userdata: false\n");
    assertThat(image.resolve("etc/default/locale")).as("a locale, as cloud images have").hasContent("LANG=C.UTF-8\n");

    assertThat(Path.of("/etc/systemd/system/ami-first-boot.service")).as("no unit on the host").doesNotExist();
    assertThat(Path.of("/opt/ami-pipeline")).as("no launcher on the host").doesNotExist();
    assertThat(host("dpkg-query", "-W").out()).as("no package installed on the host")
        .isEqualTo(baked.hostPackagesBefore());
    host("rm", "-rf", "--one-file-system", image.toString());
  }

  @Test
  void aLocalLaunchRunsTheJobUnderSystemdReportsToS3AndExitsWithItsCode() throws IOException {
    jobs.publish(EXITS_3);

    Shell.Result launch = local.ami("launch", "--project", PROJECT, "--local");

    // What the instance reported, then what the CLI made of it.
    String instanceId = instanceIdIn(launch.out());
    String results = local.resultsOf(PROJECT, instanceId);
    assertThat(local.s3Text(results + "job.log")).contains("the job says hello from " + instanceId + " as root");
    JsonNode status = Json.OUTPUT.readTree(local.s3Text(results + "exit-status.json"));
    assertThat(status.get("exitCode").asInt()).isEqualTo(3);
    assertThat(status.get("reason").asText()).isEqualTo("exited");
    assertThat(status.get("instanceId").asText()).isEqualTo(instanceId);
    assertThat(status.get("amiId").asText()).isEqualTo(amiId);
    String run = "runs/" + PROJECT + "/" + status.get("runId").asText() + "/";
    assertThat(results).isEqualTo(run + instanceId + "/");
    assertThat(status.get("attempt").asInt()).isEqualTo(1);
    assertThat(Json.OUTPUT.readTree(local.s3Text(run + "run.json")).get("state").asText()).isEqualTo("failed (code 3)");
    assertThat(launch.exitCode()).as(launch.err()).isEqualTo(3);
    assertThat(launch.out()).contains("the job says hello from " + instanceId + " as root",
        "ended: exit code 3 (exited)");

    assertThat(local.userData(instanceId)).as("the emulator's instance has the one line")
        .isEqualTo("AMI_PROJECT=demo\n");
    assertThat(instance(instanceId).state().nameAsString()).as("powered off = terminated").isEqualTo("terminated");
    assertThat(launch.err()).contains(instanceId + " is down (systemd-nspawn exit 0)")
        .as("no cloud-init in this image: no seed").doesNotContain("the image has cloud-init");
  }

  @Test
  void killingTheCliWhileTheInstanceBootsLeavesNoContainerFolderMountPortOrRunningInstance() throws Exception {
    jobs.publish(SLEEPS);
    Path out = tmp.resolve("killed.out");
    Path err = tmp.resolve("killed.err");
    Process cli = Shell.start(local.amiCommand("launch", "--project", PROJECT, "--local"), local.environment(), out,
        err);

    // Mid-boot: the metadata stand-in answers and the container's first processes run.
    Matcher metadata = METADATA.matcher("");
    Await.until("the instance to boot", Duration.ofMinutes(3), () -> METADATA.matcher(read(err)).find());
    metadata.reset(read(err)).find();
    String instanceId = metadata.group(1);
    int port = Integer.parseInt(metadata.group(2));
    Path folder = state.resolve("machines").resolve(instanceId);
    Await.until("the container's processes", Duration.ofMinutes(1),
        () -> Leftovers.treeOf(folder.toString()).stream().anyMatch(p -> p.command().contains("systemd-journald")));
    List<Leftovers.Proc> machine = Leftovers.treeOf(folder.toString());
    assertThat(machine).extracting(Leftovers.Proc::command).as("machine.sh, nspawn, the container's systemd")
        .anyMatch(c -> c.contains("machine.sh")).anyMatch(c -> c.startsWith("systemd-nspawn"));
    assertThat(Leftovers.mounts(folder.toString())).as("the overlay is only in machine.sh's namespace").isEmpty();

    cli.destroyForcibly(); // SIGKILL: no shutdown hook, no finally block
    assertThat(cli.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();

    Await.until("the machine to be gone", Duration.ofSeconds(60),
        () -> machine.stream().noneMatch(Leftovers.Proc::alive) && !Files.exists(folder));
    assertThat(Leftovers.mounts(instanceId)).isEmpty();
    assertThat(Path.of("/run/systemd/nspawn/propagate", instanceId)).doesNotExist();
    assertThat(listening(port)).as("the metadata port").isFalse();
    assertThat(instance(instanceId).state().nameAsString()).as("ended in the emulator, as the machine did")
        .isEqualTo("terminated");
  }

  // --- running the CLI and reading what it left ---

  static Instance instance(String instanceId) {
    return aws.ec2().describeInstances(b -> b.instanceIds(instanceId)).reservations().get(0).instances().get(0);
  }

  static boolean listening(int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 500);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      return "";
    }
  }
}
