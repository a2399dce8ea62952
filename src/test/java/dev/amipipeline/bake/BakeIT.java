package dev.amipipeline.bake;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import com.fasterxml.jackson.databind.JsonNode;
import dev.amipipeline.aws.AwsClients;
import dev.amipipeline.aws.AwsSettings;
import dev.amipipeline.common.Json;
import dev.amipipeline.history.HistoryFile;
import dev.amipipeline.history.HistoryRow;
import dev.amipipeline.leftovers.BakeLockHolder;
import dev.amipipeline.project.ProjectRepository;
import dev.amipipeline.project.RunConfig;
import dev.amipipeline.testing.Cli;
import dev.amipipeline.testing.Ec2Seed;
import dev.amipipeline.testing.MotoExtension;
import dev.amipipeline.testing.MotoServer;
import dev.amipipeline.testing.Shell;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.ec2.model.Image;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.Snapshot;
import software.amazon.awssdk.services.ec2.model.Tag;
import software.amazon.awssdk.services.ssm.model.Parameter;
import software.amazon.awssdk.services.ssm.model.ParameterNotFoundException;
import software.amazon.awssdk.services.ssm.model.ParameterType;

/** `ami bake` end to end: the real packer binary against a real moto_server, in local mode. */
@ExtendWith(MotoExtension.class)
class BakeIT {

  private static final String REGION = MotoServer.REGION;
  private static final String LOCK = "/ami-pipeline/demo/bake-lock";

  @TempDir Path tmp;
  private AwsClients aws;
  private BakeWorkspace ws;

  @BeforeEach
  void setUp(MotoServer moto) {
    aws = AwsClients.create(new AwsSettings(REGION, null, moto.endpoint()));
    ws = BakeWorkspace.create(tmp.resolve("repo"));
  }

  @AfterEach
  void tearDown() {
    aws.close();
  }

  /** `bake` with the repository's own template and projects, history in a temporary file. */
  private Cli.Result bakeRepo(MotoServer moto, String... more) {
    List<String> args = new ArrayList<>(List.of("bake", "--template", Shell.REPO.resolve("packer/ami.pkr.hcl").toString(),
        "--projects-dir", Shell.REPO.resolve("packer/projects").toString(), "--history", history().toString(),
        "--log-dir", ws.logs().toString()));
    args.addAll(List.of(more));
    return Cli.run(moto, args.toArray(String[]::new));
  }

  private Path history() {
    return tmp.resolve("ami-history.md");
  }

  private List<Image> images(String project, String region) {
    return aws.ec2(Region.of(region)).describeImages(b -> b.owners("self")).images().stream()
        .filter(i -> i.tags().contains(Ec2Seed.tag("ami-pipeline:project", project)))
        .toList();
  }

  private Map<String, String> tags(List<Tag> tags) {
    return tags.stream().collect(Collectors.toMap(Tag::key, Tag::value));
  }

  private String ssm(String region, String name) {
    return aws.ssm(Region.of(region)).getParameter(b -> b.name(name)).parameter().value();
  }

  private boolean ssmExists(String region, String name) {
    try {
      aws.ssm(Region.of(region)).getParameter(b -> b.name(name));
      return true;
    } catch (ParameterNotFoundException e) {
      return false;
    }
  }

  private List<Instance> liveBuilders(String project) {
    return aws.ec2().describeInstances().reservations().stream().flatMap(r -> r.instances().stream())
        .filter(i -> i.tags().contains(Ec2Seed.tag("ami-pipeline:builder", project)))
        .filter(i -> !i.state().nameAsString().equals("terminated"))
        .toList();
  }

  @Test
  void bakeOfDemoMakesOneAmiRecordedInSsmTaggedAndInTheHistory(MotoServer moto) throws Exception {
    Files.writeString(history(), "# Our images\n\nKept by hand above the table.\n");

    Cli.Result r = bakeRepo(moto, "--project", "demo");

    assertThat(r.exitCode()).as(r.err()).isZero();
    List<Image> amis = images("demo", REGION);
    assertThat(amis).hasSize(1);
    Image ami = amis.get(0);
    assertThat(ami.stateAsString()).isEqualTo("available");

    // SSM: ami-id (an EC2 image parameter), snapshot-ids = the AMI's block-device snapshots, run config
    List<String> snapshots = ami.blockDeviceMappings().stream().filter(m -> m.ebs() != null)
        .map(m -> m.ebs().snapshotId()).toList();
    assertThat(snapshots).isNotEmpty();
    Parameter amiId = aws.ssm().getParameter(b -> b.name("/ami-pipeline/demo/ami-id")).parameter();
    assertThat(amiId.value()).isEqualTo(ami.imageId());
    assertThat(amiId.dataType()).isEqualTo("aws:ec2:image");
    Parameter snapshotIds = aws.ssm().getParameter(b -> b.name("/ami-pipeline/demo/snapshot-ids")).parameter();
    assertThat(snapshotIds.type()).isEqualTo(ParameterType.STRING_LIST);
    assertThat(List.of(snapshotIds.value().split(","))).containsExactlyElementsOf(snapshots);
    String demoFile = Shell.REPO.resolve("packer/projects/demo.json").toString();
    assertThat(ssm(REGION, "/ami-pipeline/demo/run")).isEqualTo(
        RunConfig.of(ProjectRepository.parse("demo", Path.of(demoFile), Files.readAllBytes(Path.of(demoFile)))
            .spec().run()).toJson());
    assertThat(ssmExists(REGION, LOCK)).isFalse();

    // tags on the AMI and each snapshot: the contract
    Map<String, String> amiTags = tags(ami.tags());
    assertThat(amiTags).containsEntry("ami-pipeline:project", "demo")
        .containsEntry("ami-pipeline:source-ami", "ami-785db401"); // moto's newest Canonical match (xenial)
    assertThat(amiTags.get("ami-pipeline:inputs")).matches("[0-9a-f]{64}");
    assertThat(amiTags.get("ami-pipeline:commit")).matches("[0-9a-f]{40}|unknown");
    assertThat(amiTags.get("Name")).matches("demo-\\d{8}T\\d{6}Z");
    for (String snapshot : snapshots) {
      Snapshot s = aws.ec2().describeSnapshots(b -> b.snapshotIds(snapshot)).snapshots().get(0);
      assertThat(tags(s.tags())).containsAllEntriesOf(amiTags);
    }
    assertThat(r.out()).contains(ami.imageId(), amiTags.get("ami-pipeline:inputs"));
    assertThat(r.err()).contains("local mode").contains("[bake demo 00:").contains("communicator=none");

    // stderr has Packer's steps; its every line is in the bake's log, which the result names
    Path log = ws.onlyLog();
    assertThat(log.getFileName().toString()).matches("bake-demo-\\d{8}T\\d{6}Z-[0-9a-f]{8}\\.log");
    assertThat(r.out()).contains("  log      " + log);
    assertThat(r.err()).contains("ami: Packer's full output: " + log)
        .contains("[bake demo 00:0", "] ==> amazon-ebs.image: Launching a source AWS instance...")
        .contains("] us-east-1: " + ami.imageId())
        .doesNotContain("Adding tag:").doesNotContain("\u001b");
    assertThat(Files.readString(log)).startsWith("$ packer build -color=false -machine-readable -var ")
        .contains("] ==> amazon-ebs.image: Launching a source AWS instance...")
        .contains("]     amazon-ebs.image: Adding tag: \"ami-pipeline:project\": \"demo\"")
        .doesNotContain("%!(PACKER_COMMA)");

    // the builder instance was tagged for the project and is gone
    List<Instance> builders = aws.ec2().describeInstances().reservations().stream()
        .flatMap(res -> res.instances().stream())
        .filter(i -> i.tags().contains(Ec2Seed.tag("ami-pipeline:builder", "demo"))).toList();
    assertThat(builders).hasSize(1);
    assertThat(liveBuilders("demo")).isEmpty();

    // history: the user's text kept, one current row for the AMI
    String text = Files.readString(history());
    assertThat(text).startsWith("# Our images\n\nKept by hand above the table.\n");
    assertThat(new HistoryFile(history()).read().rows())
        .extracting(HistoryRow::project, HistoryRow::region, HistoryRow::amiId, HistoryRow::snapshotIds,
            HistoryRow::sourceAmi, HistoryRow::status)
        .containsExactly(tuple("demo", REGION, ami.imageId(), snapshots, "ami-785db401", "current"));
  }

  @Test
  void twoRegionsAreBothRecordedAndBothInTheHistoryAndJsonIsOneObject(MotoServer moto) throws Exception {
    Cli.Result r = bakeRepo(moto, "--project", "demo", "--regions", "us-east-1,us-west-2", "--output", "json",
        "--packer-output", "full");

    assertThat(r.exitCode()).as(r.err()).isZero();
    JsonNode json = Json.STRICT.readTree(r.out());
    assertThat(json.path("status").asText()).isEqualTo("baked");
    assertThat(json.path("log").asText()).isEqualTo(ws.onlyLog().toString());
    // full: every line of Packer's, tag echo included, as in the log
    assertThat(r.err()).contains("]     amazon-ebs.image: Adding tag: \"ami-pipeline:project\": \"demo\"");
    assertThat(json.path("images")).hasSize(2);
    for (JsonNode image : json.path("images")) {
      String region = image.path("region").asText();
      List<Image> amis = images("demo", region);
      assertThat(amis).as(region).hasSize(1);
      assertThat(image.path("amiId").asText()).isEqualTo(amis.get(0).imageId());
      assertThat(ssm(region, "/ami-pipeline/demo/ami-id")).isEqualTo(amis.get(0).imageId());
      assertThat(ssm(region, "/ami-pipeline/demo/snapshot-ids"))
          .isEqualTo(amis.get(0).blockDeviceMappings().get(0).ebs().snapshotId());
      assertThat(tags(amis.get(0).tags())).containsEntry("ami-pipeline:inputs", json.path("inputs").asText());
    }
    assertThat(json.path("images").findValuesAsText("region")).containsExactly("us-east-1", "us-west-2");
    assertThat(new HistoryFile(history()).read().rows())
        .extracting(HistoryRow::region, HistoryRow::amiId, HistoryRow::status)
        .containsExactly(
            tuple("us-east-1", json.path("images").get(0).path("amiId").asText(), "current"),
            tuple("us-west-2", json.path("images").get(1).path("amiId").asText(), "current"));
  }

  @Test
  void ifChangedSkipsUnchangedInputsAndRebakesWhenAProvisionerOrTheBaseImageChanges(MotoServer moto)
      throws Exception {

    Cli.Result first = Cli.run(moto, ws.bake("--project", "demo", "--if-changed"));
    assertThat(first.exitCode()).as(first.err()).isZero();
    assertThat(images("demo", REGION)).hasSize(1);
    String firstAmi = ssm(REGION, "/ami-pipeline/demo/ami-id");

    // same inputs: nothing runs (a packer that does not exist would be exit 4) and nothing is made
    Cli.Result same = Cli.run(moto, ws.bake("--project", "demo", "--if-changed", "--packer", "/nonexistent/packer"));
    assertThat(same.exitCode()).as(same.err()).isZero();
    assertThat(same.out()).contains("unchanged").contains(firstAmi);
    assertThat(images("demo", REGION)).hasSize(1);
    assertThat(new HistoryFile(ws.history()).read().rows()).hasSize(1);

    // a provisioner script changed: bake again
    Files.writeString(ws.provisioner("20-jdk.sh"), "\necho now with JDK 21\n", java.nio.file.StandardOpenOption.APPEND);
    Cli.Result edited = Cli.run(moto, ws.bake("--project", "demo", "--if-changed"));
    assertThat(edited.exitCode()).as(edited.err()).isZero();
    assertThat(images("demo", REGION)).hasSize(2);
    String secondAmi = ssm(REGION, "/ami-pipeline/demo/ami-id");
    assertThat(secondAmi).isNotEqualTo(firstAmi);

    // the newest image matching the base filter changes (xenial goes away, trusty is left): bake again
    // from it. Images made in moto cannot stand in for a new release: their root device type is
    // "standard", which Packer refuses as a source.
    aws.ec2().deregisterImage(b -> b.imageId("ami-785db401"));
    Cli.Result rebased = Cli.run(moto, ws.bake("--project", "demo", "--if-changed"));
    assertThat(rebased.exitCode()).as(rebased.err()).isZero();
    assertThat(images("demo", REGION)).hasSize(3);
    String thirdAmi = ssm(REGION, "/ami-pipeline/demo/ami-id");
    Image third = aws.ec2().describeImages(b -> b.imageIds(thirdAmi)).images().get(0);
    assertThat(tags(third.tags())).containsEntry("ami-pipeline:source-ami", "ami-1e749f67");

    // --force bakes although nothing changed
    Cli.Result forced = Cli.run(moto, ws.bake("--project", "demo", "--force"));
    assertThat(forced.exitCode()).as(forced.err()).isZero();
    assertThat(images("demo", REGION)).hasSize(4);

    // the history: one current row, the three before it kept
    assertThat(new HistoryFile(ws.history()).read().rows()).extracting(HistoryRow::status)
        .containsExactly("kept", "kept", "kept", "current");
  }

  @Test
  void dryRunPrintsTheMaskedCommandAndTheHashAndChangesNothing(MotoServer moto) {
    Cli.Result r = bakeRepo(moto, "--project", "demo", "--dry-run");

    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.out()).contains("dry run, nothing changed").containsPattern("inputs +[0-9a-f]{64}")
        .contains("packer build -color=false").contains("-var communicator=none").contains("source_ami=ami-785db401")
        .doesNotContain(MotoServer.SECRET_KEY + " ").doesNotContain("AWS_SECRET");
    assertThat(images("demo", REGION)).isEmpty();
    assertThat(ssmExists(REGION, LOCK)).isFalse();
    assertThat(ssmExists(REGION, "/ami-pipeline/demo/ami-id")).isFalse();
    assertThat(history()).doesNotExist();
  }

  @Test
  void aMissingPackerIsExit4WithHowToInstallAndChangesNothing(MotoServer moto) {
    Cli.Result r = bakeRepo(moto, "--project", "demo", "--packer", "/nonexistent/packer");

    assertThat(r.exitCode()).isEqualTo(4);
    assertThat(r.errLines()).singleElement().asString()
        .startsWith("ami: packer not found: install it (Debian: apt-get install packer;").contains("--packer");
    assertThat(ssmExists(REGION, LOCK)).isFalse();
    assertThat(history()).doesNotExist();
  }

  @Test
  void aFailingProvisionerFailsWithPackersErrorAndLeavesNoTrace(MotoServer moto) throws Exception {
    ws.withBuildBlock("""
          provisioner "shell-local" {
            inline = ["echo provisioning fails on purpose", "exit 3"]
          }
        """);
    Files.writeString(ws.history(), "# History\n");

    Cli.Result r = Cli.run(moto, ws.bake("--project", "demo"));

    assertThat(r.exitCode()).isEqualTo(1);
    // the last 30 lines of the full log and where it is, then the one error line
    Path log = ws.onlyLog();
    List<String> err = r.err().lines().toList();
    List<String> logLines = Files.readAllLines(log);
    int shown = Math.min(30, logLines.size()); // this build's log is short
    int tail = err.indexOf("ami: the last " + shown + " lines of " + log + ":");
    assertThat(tail).as(r.err()).isPositive();
    assertThat(err.subList(tail + 1, err.size() - 1)).isEqualTo(logLines.subList(logLines.size() - shown, logLines.size()));
    assertThat(err.get(err.size() - 1))
        .isEqualTo("ami: packer build failed for demo: Script exited with non-zero exit status: 3.Allowed exit codes are: [0]");
    // the script's own output is in the log and its tail, not among the steps above it
    assertThat(err.subList(0, tail)).noneMatch(l -> l.contains("provisioning fails on purpose"))
        .anyMatch(l -> l.contains("] Build 'amazon-ebs.image' errored after "));
    assertThat(err.subList(tail + 1, err.size())).anyMatch(l -> l.endsWith("    amazon-ebs.image: provisioning fails on purpose"));
    assertThat(r.err()).doesNotContain("\u001b");
    assertThat(ssmExists(REGION, LOCK)).isFalse();
    assertThat(ssmExists(REGION, "/ami-pipeline/demo/ami-id")).isFalse();
    assertThat(images("demo", REGION)).isEmpty();
    assertThat(liveBuilders("demo")).isEmpty();
    assertThat(Files.readString(ws.history())).isEqualTo("# History\n");
  }

  @Test
  void aBadTemplateFailsWithPackersErrorAndReleasesTheLock(MotoServer moto) throws Exception {
    Files.writeString(ws.template(), Files.readString(ws.template())
        .replace("encrypt_boot    = var.encrypt_boot", "encrypt_boot    = var.encrypt_boot\n  no_such_option  = true"));

    Cli.Result r = Cli.run(moto, ws.bake("--project", "demo"));

    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.errLines()).filteredOn(l -> l.startsWith("ami: ")).last().asString()
        .startsWith("ami: packer build failed for demo: Unsupported argument:").contains("no_such_option");
    assertThat(ssmExists(REGION, LOCK)).isFalse();
    assertThat(ssmExists(REGION, "/ami-pipeline/demo/ami-id")).isFalse();
    assertThat(ws.history()).doesNotExist();
  }

  @Test
  void aRunningBakesLockIsExit3NamingTheHolderAndItsAge(MotoServer moto) {
    String theirs = new BakeLockHolder("ci-runner-7", 4242, Instant.now().minus(Duration.ofMinutes(10))).toJson();
    aws.ssm().putParameter(b -> b.name(LOCK).value(theirs).type(ParameterType.STRING));

    Cli.Result r = bakeRepo(moto, "--project", "demo");

    assertThat(r.exitCode()).isEqualTo(3);
    assertThat(r.errLines()).filteredOn(l -> l.startsWith("ami: ")).singleElement().asString()
        .contains("another bake of demo is running").containsPattern("held by ci-runner-7 pid 4242 for 10m( \\ds)? \\(since");
    assertThat(ssm(REGION, LOCK)).isEqualTo(theirs);
    assertThat(images("demo", REGION)).isEmpty();
    assertThat(liveBuilders("demo")).isEmpty();
  }

  @Test
  void aLockOlderThanThreeHoursIsTakenOverWithAWarning(MotoServer moto) {
    String dead = new BakeLockHolder("gone-host", 99, Instant.now().minus(Duration.ofHours(4))).toJson();
    aws.ssm().putParameter(b -> b.name(LOCK).value(dead).type(ParameterType.STRING));

    Cli.Result r = bakeRepo(moto, "--project", "demo");

    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.err()).contains("taking over the stale bake lock", "gone-host pid 99");
    assertThat(images("demo", REGION)).hasSize(1);
    assertThat(ssmExists(REGION, LOCK)).isFalse();
  }

  @Test
  void allTriesEveryProjectAndExitsWithTheFirstFailure(MotoServer moto) {
    ws.project("broken", json -> ((com.fasterxml.jackson.databind.node.ObjectNode) json.path("bake").path("baseImage"))
        .put("name", "no-such-image-*"));

    Cli.Result r = Cli.run(moto, ws.bake("--all"));

    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.out()).contains("broken: failed (exit 2)", "bake.baseImage", "demo: baked", "2 project(s), 1 failed");
    assertThat(r.err()).contains("ami: broken: ");
    assertThat(images("demo", REGION)).hasSize(1);
    assertThat(images("broken", REGION)).isEmpty();
  }

  @Test
  void aBaseImageThatMatchesNothingIsBadInputBeforeAnyChange(MotoServer moto) {
    ws.project("demo", json -> ((com.fasterxml.jackson.databind.node.ObjectNode) json.path("bake").path("baseImage"))
        .put("name", "no-such-image-*"));

    Cli.Result r = Cli.run(moto, ws.bake("--project", "demo"));

    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.errLines()).singleElement().asString()
        .contains("demo.json: bake.baseImage: no available x86_64 image", "no-such-image-*");
    assertThat(ssmExists(REGION, LOCK)).isFalse();
    assertThat(aws.ec2().describeInstances().reservations()).isEmpty();
  }

  @Test
  void badOptionsAreExit2BeforeAnyAwsCall(MotoServer moto) {
    for (String[] bad : List.of(new String[] {"--regions", "us-east-1,mars-north-1"},
        new String[] {"--timeout", "0"}, new String[] {"--ssh-target", "host:99999"},
        new String[] {"--deprecate-after", "soon"})) {
      List<String> args = new ArrayList<>(List.of("--project", "demo"));
      args.addAll(List.of(bad));
      Cli.Result r = bakeRepo(moto, args.toArray(String[]::new));
      assertThat(r.exitCode()).as(String.join(" ", bad)).isEqualTo(2);
      assertThat(r.errLines()).as(String.join(" ", bad)).singleElement().asString().contains(bad[0]);
    }
    assertThat(aws.ec2().describeInstances().reservations()).isEmpty();
  }

  @Test
  void aLogFolderThatIsAFileOrAnUnknownOutputViewIsExit2BeforeAnyAwsCall(MotoServer moto) throws Exception {
    Path aFile = Files.writeString(tmp.resolve("a-file"), "x");
    for (String[] bad : List.of(new String[] {"--log-dir", aFile.toString()},
        new String[] {"--packer-output", "everything"})) {
      Cli.Result r = Cli.run(moto, "bake", "--template", Shell.REPO.resolve("packer/ami.pkr.hcl").toString(),
          "--projects-dir", Shell.REPO.resolve("packer/projects").toString(), "--history", history().toString(),
          "--project", "demo", bad[0], bad[1]);
      assertThat(r.exitCode()).as(String.join(" ", bad)).isEqualTo(2);
      assertThat(r.errLines()).as(String.join(" ", bad)).singleElement().asString().contains(bad[0]);
    }
    assertThat(aws.ec2().describeInstances().reservations()).isEmpty();
    assertThat(ssmExists(REGION, LOCK)).isFalse();
  }

  @Test
  void deprecationAndImdsV2AreSkippedWithANoteWhereTheEndpointLacksThem(MotoServer moto) {
    Cli.Result r = bakeRepo(moto, "--project", "demo", "--deprecate-after", "90d");

    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.out()).contains("note     deprecation time not set", "EnableImageDeprecation")
        .contains("note     IMDSv2 not recorded");
    assertThat(images("demo", REGION)).hasSize(1);
  }

  @Test
  void doctorShowsThePackerThatBakeWouldRun(MotoServer moto) {
    Cli.Result found = Cli.run(moto, "doctor");
    assertThat(found.exitCode()).as(found.err()).isZero();
    assertThat(found.out()).contains("packer    1.6.6 (packer)");

    Cli.Result missing = Cli.run(moto, "doctor", "--packer", "/nonexistent/packer");
    assertThat(missing.exitCode()).isZero();
    assertThat(missing.out()).contains("packer    packer not found: install it");
  }
}
