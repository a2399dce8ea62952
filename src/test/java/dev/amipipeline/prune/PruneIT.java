package dev.amipipeline.prune;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.amipipeline.history.HistoryRow;
import dev.amipipeline.history.HistoryTable;
import dev.amipipeline.launch.AwsCallLog;
import dev.amipipeline.project.ParameterNames;
import dev.amipipeline.project.ProjectParameters;
import dev.amipipeline.project.Tags;
import dev.amipipeline.testing.Cli;
import dev.amipipeline.testing.Ec2Seed;
import dev.amipipeline.testing.Ec2Seed.SeededImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.ebs.EbsClient;
import software.amazon.awssdk.services.ebs.model.ListSnapshotBlocksResponse;

/** {@code ami prune} end to end against a real moto_server; every outcome is checked with describes. */
class PruneIT extends MotoTestBase {

  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path tmp;

  private Cli.Result prune(String... args) {
    List<String> all = new ArrayList<>(List.of("prune", "--history", tmp.resolve("ami-history.md").toString()));
    all.addAll(List.of(args));
    return Cli.run(moto, all.toArray(String[]::new));
  }

  private Map<String, List<String>> snapshotsOf(List<SeededImage> images) {
    return images.stream().collect(Collectors.toMap(SeededImage::amiId, i -> Ec2State.allSnapshots(ec2, i)));
  }

  private static String lineOf(String text, String imageId) {
    return text.lines().filter(l -> l.startsWith(imageId)).findFirst().orElseThrow(
        () -> new AssertionError(imageId + " not in:\n" + text));
  }

  @Test
  void sixBakesKeepTwoDeregistersFourAndDeletesTheirSnapshots() {
    List<SeededImage> bakes = bakes("demo", 6);
    Map<String, List<String>> snapshots = snapshotsOf(bakes);

    Cli.Result r = prune("--project", "demo", "--keep", "2");

    assertThat(r.exitCode()).as(r.err()).isZero();
    Set<String> newestTwo = Set.of(bakes.get(4).amiId(), bakes.get(5).amiId());
    assertThat(Ec2State.projectImages(ec2, "demo")).isEqualTo(newestTwo);
    ProjectParameters params = new ProjectParameters(aws.ssm(), new ParameterNames("/ami-pipeline", "demo"));
    assertThat(params.currentAmiId()).contains(bakes.get(5).amiId());
    Ec2State after = Ec2State.read(ec2);
    for (SeededImage image : bakes) {
      if (newestTwo.contains(image.amiId())) {
        assertThat(after.snapshots()).containsAll(snapshots.get(image.amiId()));
      } else {
        assertThat(after.snapshots()).doesNotContainAnyElementsOf(snapshots.get(image.amiId()));
      }
    }
    // Each seeded image has an 8 GiB snapshot of its own and moto's 15 GiB one behind its mapping.
    assertThat(r.out()).contains("4 images deregistered, 8 snapshots deleted; freed 92 GiB ≈ $4.60/month");
    assertThat(lineOf(r.out(), bakes.get(5).amiId())).contains("current (ami-id v6), newest 2");
    assertThat(lineOf(r.out(), bakes.get(0).amiId())).contains("deleted");
  }

  @Test
  void trapsAreKeptWithTheirReasonAndASharedSnapshotStays() {
    SeededImage running = bake(Region.US_EAST_1, "demo", "demo-running");
    SeededImage stopped = bake(Region.US_EAST_1, "demo", "demo-stopped");
    SeededImage inTemplate = bake(Region.US_EAST_1, "demo", "demo-template");
    SeededImage sharing = bake(Region.US_EAST_1, "demo", "demo-sharing");
    SeededImage plain = bake(Region.US_EAST_1, "demo", "demo-plain");
    SeededImage otherProject = bake(Region.US_EAST_1, "ml", "ml-old");
    String untagged = ec2.registerImage(b -> b.name("hand-made").rootDeviceName("/dev/sda1")).imageId();
    SeededImage newest = bake(Region.US_EAST_1, "demo", "demo-newest");

    String onRunning = ec2.runInstances(b -> b.imageId(running.amiId()).minCount(1).maxCount(1))
        .instances().get(0).instanceId();
    String onStopped = ec2.runInstances(b -> b.imageId(stopped.amiId()).minCount(1).maxCount(1))
        .instances().get(0).instanceId();
    ec2.stopInstances(b -> b.instanceIds(onStopped));
    String template = ec2.createLaunchTemplate(b -> b.launchTemplateName("jobs")
        .launchTemplateData(d -> d.imageId(inTemplate.amiId()))).launchTemplate().launchTemplateId();
    for (int version = 2; version <= 3; version++) {
      ec2.createLaunchTemplateVersion(b -> b.launchTemplateId(template)
          .launchTemplateData(d -> d.imageId(newest.amiId())));
    }
    ec2.modifyLaunchTemplate(b -> b.launchTemplateId(template).defaultVersion("3"));
    // moto ignores RegisterImage block device mappings, so two images cannot map one snapshot there;
    // the contract's other link can: the snapshot behind demo-sharing also carries demo-newest's tags.
    String shared = Ec2State.mappedSnapshots(ec2, sharing.amiId()).get(0);
    ec2.createTags(b -> b.resources(shared).tags(Ec2Seed.tag(Tags.PROJECT, "demo"),
        Ec2Seed.tag(Tags.NAME, "demo-newest"), Ec2Seed.tag(Tags.INPUTS, "seed-demo-newest")));
    // A backup of a job's data volume: launch tags volumes with the project and a Name, not inputs.
    String jobBackup = jobVolumeBackup("demo");
    Map<String, List<String>> snapshots = snapshotsOf(List.of(running, stopped, inTemplate, sharing, plain,
        otherProject, newest));
    Ec2State before = Ec2State.read(ec2);

    Cli.Result r = prune("--project", "demo", "--keep", "1");

    assertThat(r.exitCode()).as(r.err()).isZero();
    Ec2State after = Ec2State.read(ec2);
    Set<String> gone = new HashSet<>(before.images());
    gone.removeAll(after.images());
    assertThat(gone).containsExactlyInAnyOrder(sharing.amiId(), plain.amiId());
    assertThat(after.images()).contains(running.amiId(), stopped.amiId(), inTemplate.amiId(), otherProject.amiId(),
        untagged, newest.amiId());
    assertThat(after.snapshots()).contains(shared, jobBackup)
        .doesNotContainAnyElementsOf(sharing.snapshotIds())
        .doesNotContainAnyElementsOf(snapshots.get(plain.amiId()));
    Stream.of(running, stopped, inTemplate, otherProject, newest)
        .forEach(i -> assertThat(after.snapshots()).containsAll(snapshots.get(i.amiId())));
    assertThat(after.liveInstances()).contains(onRunning + ":running", onStopped + ":stopped");

    assertThat(lineOf(r.out(), running.amiId())).contains("in use by " + onRunning);
    assertThat(lineOf(r.out(), stopped.amiId())).contains("in use by " + onStopped + " (stopped)");
    assertThat(lineOf(r.out(), inTemplate.amiId())).contains("in launch template " + template + " v1");
    assertThat(lineOf(r.out(), newest.amiId())).contains("current (ami-id v6)", "newest 1");
    assertThat(lineOf(r.out(), sharing.amiId())).contains("deleted", "keeps " + shared + " (shared with "
        + newest.amiId() + ")");
    assertThat(r.out()).doesNotContain(otherProject.amiId(), untagged);
  }

  /** A snapshot of a volume tagged the way launch tags its instances' volumes. */
  private String jobVolumeBackup(String project) {
    String az = ec2.describeAvailabilityZones().availabilityZones().get(0).zoneName();
    String volume = ec2.createVolume(b -> b.availabilityZone(az).size(100)).volumeId();
    String snapshot = ec2.createSnapshot(b -> b.volumeId(volume).description("nightly backup")).snapshotId();
    ec2.createTags(b -> b.resources(volume, snapshot).tags(Ec2Seed.tag(Tags.PROJECT, project),
        Ec2Seed.tag(Tags.NAME, project + "-20260101T000000Z")));
    return snapshot;
  }

  @Test
  void aLaunchTemplateThatResolvesAnOldSsmVersionKeepsThatImage() {
    List<SeededImage> bakes = bakes("demo", 4);
    String template = ec2.createLaunchTemplate(b -> b.launchTemplateName("pinned")
        .launchTemplateData(d -> d.imageId("resolve:ssm:/ami-pipeline/demo/ami-id:2"))).launchTemplate()
        .launchTemplateId();
    ec2.createLaunchTemplate(b -> b.launchTemplateName("dangling")
        .launchTemplateData(d -> d.imageId("resolve:ssm:/ami-pipeline/gone/ami-id")));

    Cli.Result r = prune("--project", "demo", "--keep", "1");

    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(Ec2State.projectImages(ec2, "demo"))
        .containsExactlyInAnyOrder(bakes.get(1).amiId(), bakes.get(3).amiId());
    assertThat(lineOf(r.out(), bakes.get(1).amiId())).contains("in launch template " + template + " v1");
    assertThat(r.out()).contains("uses resolve:ssm:/ami-pipeline/gone/ami-id, which does not exist; it keeps no image");
  }

  @Test
  void aSnapshotLeftBehindByAnInterruptedPruneIsDeletedByTheNextOne() {
    List<SeededImage> bakes = bakes("demo", 3);
    SeededImage interrupted = bakes.get(0);
    String mapped = Ec2State.mappedSnapshots(ec2, interrupted.amiId()).get(0);
    ec2.deregisterImage(b -> b.imageId(interrupted.amiId())); // the run died before deleting snapshots
    String jobBackup = jobVolumeBackup("demo");

    Cli.Result r = prune("--project", "demo", "--keep", "3");

    assertThat(r.exitCode()).as(r.err()).isZero();
    Ec2State after = Ec2State.read(ec2);
    assertThat(after.snapshots()).doesNotContainAnyElementsOf(interrupted.snapshotIds());
    assertThat(after.snapshots()).as("untagged, so not ours to delete").contains(mapped);
    assertThat(after.snapshots()).as("a job's backup, not a bake's").contains(jobBackup);
    assertThat(after.images()).contains(bakes.get(1).amiId(), bakes.get(2).amiId());
    assertThat(r.out()).contains("orphan snapshot " + interrupted.snapshotIds().get(0), "its image is gone): deleted",
        "0 images deregistered, 1 snapshot deleted");

    Cli.Result again = prune("--project", "demo", "--keep", "3");
    assertThat(again.exitCode()).as(again.err()).isZero();
    assertThat(again.out()).contains("0 images deregistered, 0 snapshots deleted");
    assertThat(Ec2State.read(ec2)).isEqualTo(after);
  }

  @Test
  void dryRunChangesNothingAndListsExactlyWhatARealRunDeletes() throws Exception {
    List<SeededImage> bakes = bakes("demo", 5);
    bakes("ml", 5);
    ec2.runInstances(b -> b.imageId(bakes.get(0).amiId()).minCount(1).maxCount(1));
    ec2.deregisterImage(b -> b.imageId(bakes.get(1).amiId())); // leaves an orphan snapshot
    Ec2State before = Ec2State.read(ec2);

    Cli.Result dry = prune("--keep", "2", "--dry-run", "--output", "json");

    assertThat(dry.exitCode()).as(dry.err()).isZero();
    assertThat(Ec2State.read(ec2)).isEqualTo(before);
    JsonNode plan = JSON.readTree(dry.out());
    assertThat(plan.get("dryRun").asBoolean()).isTrue();
    Set<String> plannedImages = ids(plan, "imageId", "delete");
    Set<String> plannedSnapshots = ids(plan, "snapshotId", "delete");
    assertThat(plannedImages).hasSize(1 + 3); // demo: 5 - newest 2 - in use - gone; ml: 5 - newest 2
    assertThat(plannedSnapshots).contains(bakes.get(1).snapshotIds().get(0));
    assertThat(plan.at("/totals/imagesDeregistered").asInt()).isEqualTo(plannedImages.size());
    assertThat(plan.at("/totals/snapshotsDeleted").asInt()).isEqualTo(plannedSnapshots.size());

    Cli.Result real = prune("--keep", "2", "--output", "json");

    assertThat(real.exitCode()).as(real.err()).isZero();
    JsonNode done = JSON.readTree(real.out());
    assertThat(ids(done, "imageId", "deleted")).isEqualTo(plannedImages);
    assertThat(ids(done, "snapshotId", "deleted")).isEqualTo(plannedSnapshots);
    assertThat(done.get("totals")).isEqualTo(plan.get("totals"));
    Ec2State after = Ec2State.read(ec2);
    Set<String> expectedImages = new TreeSet<>(before.images());
    expectedImages.removeAll(plannedImages);
    Set<String> expectedSnapshots = new TreeSet<>(before.snapshots());
    expectedSnapshots.removeAll(plannedSnapshots);
    assertThat(after.images()).isEqualTo(expectedImages);
    assertThat(after.snapshots()).isEqualTo(expectedSnapshots);
  }

  /** Ids of every object in the JSON with that id field and status. */
  private static Set<String> ids(JsonNode report, String field, String status) {
    Set<String> found = new TreeSet<>();
    report.findParents(field).stream()
        .filter(n -> status.equals(n.path("status").asText()))
        .forEach(n -> found.add(n.get(field).asText()));
    return found;
  }

  @Test
  void badInputIsExitTwoWithOneLineAndTouchesNothing() {
    bakes("demo", 3);
    Ec2State before = Ec2State.read(ec2);
    Map<List<String>, String> cases = Map.of(
        List.of("--keep", "0"), "--keep must be at least 1, was 0",
        List.of("--keep", "-1"), "--keep must be at least 1, was -1",
        List.of("--keep", "1", "--min-age", "banana"), "--min-age: 'banana' is not a duration",
        List.of("--keep", "1", "--parallelism", "0"), "--parallelism must be between 1 and 64, was 0",
        List.of("--keep", "1", "--project", "nope"), "no project file packer/projects/nope.json");
    cases.forEach((args, message) -> {
      Cli.Result r = prune(args.toArray(String[]::new));
      assertThat(r.exitCode()).as("%s: %s", args, r.err()).isEqualTo(2);
      assertThat(r.errLines()).as("%s", args).singleElement().asString().startsWith("ami: ").contains(message);
      assertThat(r.out()).isEmpty();
    });
    assertThat(Ec2State.read(ec2)).isEqualTo(before);
  }

  @Test
  void imagesYoungerThanMinAgeStay() {
    List<SeededImage> bakes = bakes("demo", 3);
    Ec2State before = Ec2State.read(ec2);

    Cli.Result r = prune("--project", "demo", "--keep", "1", "--min-age", "1h");

    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(Ec2State.read(ec2)).isEqualTo(before);
    assertThat(lineOf(r.out(), bakes.get(0).amiId())).contains("too young (", " < 1h)");
    assertThat(r.out()).contains("0 images deregistered");
  }

  @Test
  void historyRowsOfPrunedImagesBecomePrunedWithTheDate() throws Exception {
    List<SeededImage> bakes = bakes("demo", 3);
    Path history = tmp.resolve("ami-history.md");
    List<HistoryRow> rows = bakes.stream().map(b -> new HistoryRow("2026-01-01 00:00", "demo", "us-east-1", b.amiId(),
        b.snapshotIds(), "ami-00000000", "abc123", "unknown", HistoryRow.KEPT)).toList();
    Files.writeString(history,
        "# Our images\n\nNotes the team keeps.\n\n" + HistoryTable.parse("").append(rows).render());

    Cli.Result r = prune("--project", "demo", "--keep", "1");

    assertThat(r.exitCode()).as(r.err()).isZero();
    String pruned = HistoryRow.PRUNED + " " + LocalDate.now(ZoneOffset.UTC);
    Map<String, String> status = HistoryTable.parse(Files.readString(history)).rows().stream()
        .collect(Collectors.toMap(HistoryRow::amiId, HistoryRow::status));
    assertThat(status).containsEntry(bakes.get(0).amiId(), pruned).containsEntry(bakes.get(1).amiId(), pruned)
        .containsEntry(bakes.get(2).amiId(), HistoryRow.KEPT);
    assertThat(Files.readString(history)).startsWith("# Our images\n\nNotes the team keeps.\n");
  }

  @Test
  void everyRegionOfAProjectIsPruned() throws Exception {
    Path projects = Files.createDirectories(tmp.resolve("projects"));
    Files.writeString(projects.resolve("multi.json"), Files.readString(Path.of("packer/projects/demo.json"))
        .replace("\"regions\": [\"us-east-1\"]", "\"regions\": [\"us-east-1\", \"us-west-2\"]"));
    List<SeededImage> east =
        List.of(bake(Region.US_EAST_1, "multi", "multi-e1"), bake(Region.US_EAST_1, "multi", "multi-e2"));
    List<SeededImage> west =
        List.of(bake(Region.US_WEST_2, "multi", "multi-w1"), bake(Region.US_WEST_2, "multi", "multi-w2"));

    Cli.Result r = prune("--projects-dir", projects.toString(), "--keep", "1");

    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(Ec2State.projectImages(ec2, "multi")).containsExactly(east.get(1).amiId());
    assertThat(Ec2State.projectImages(aws.ec2(Region.US_WEST_2), "multi")).containsExactly(west.get(1).amiId());
    assertThat(r.out())
        .contains("us-east-1 · multi · keep 1", "us-west-2 · multi · keep 1", "2 images deregistered");
  }

  @Test
  void aPruneMakesTheDescribesOneDeregisterPerImageAndOneDeletePerSnapshot() {
    bakes("demo", 10);
    AwsCallLog.start();

    Cli.Result r;
    try {
      r = prune("--project", "demo", "--keep", "2");
    } finally {
      AwsCallLog.stop();
    }

    assertThat(r.exitCode()).as(r.err()).isZero();
    Map<String, Long> counts = AwsCallLog.calls().stream()
        .collect(Collectors.groupingBy(Function.identity(), TreeMap::new, Collectors.counting()));
    // Each deleted image has its own snapshot and moto's one behind its mapping: 16 snapshots.
    assertThat(counts).isEqualTo(new TreeMap<>(Map.of(
        "Sts:GetCallerIdentity", 1L, "Ec2:DescribeSnapshots", 1L, "Ec2:DescribeImages", 1L,
        "Ssm:GetParameterHistory", 1L, "Ec2:DescribeLaunchTemplates", 1L, "Ec2:DescribeInstances", 1L,
        "Ec2:DescribeFleets", 1L, "Ec2:DeregisterImage", 8L, "Ec2:DeleteSnapshot", 16L)));
    assertThat(r.out()).contains("--exact-size asks the EBS direct API");
  }

  @Test
  void freedStorageIsTheAllocatedSizeWhereTheEbsDirectApiKnowsTheSnapshot() throws Exception {
    bakes("demo", 1);
    EbsClient ebs = aws.ebs(Region.US_EAST_1);
    String snapshot = ebs.startSnapshot(b -> b.volumeSize(1L).tags(t -> t.key(Tags.PROJECT).value("demo"),
        t -> t.key(Tags.NAME).value("demo-gone"), t -> t.key(Tags.INPUTS).value("seed-demo-gone"))).snapshotId();
    byte[] block = new byte[512 * 1024];
    for (int i = 0; i < 3; i++) {
      int index = i;
      String checksum = Base64.getEncoder().encodeToString(
          MessageDigest.getInstance("SHA-256").digest(block));
      ebs.putSnapshotBlock(b -> b.snapshotId(snapshot).blockIndex(index).dataLength(block.length).checksum(checksum)
          .checksumAlgorithm("SHA256"), RequestBody.fromBytes(block));
    }
    ebs.completeSnapshot(b -> b.snapshotId(snapshot).changedBlocksCount(3));
    ListSnapshotBlocksResponse listed = ebs.listSnapshotBlocks(b -> b.snapshotId(snapshot));
    double expectedGib = listed.blocks().size() * (double) listed.blockSize() / (1L << 30);

    Cli.Result r = prune("--project", "demo", "--keep", "1", "--output", "json", "--exact-size");

    assertThat(r.exitCode()).as(r.err()).isZero();
    JsonNode orphan = JSON.readTree(r.out()).at("/regions/0/projects/0/orphanSnapshots/0");
    assertThat(orphan.get("snapshotId").asText()).isEqualTo(snapshot);
    assertThat(orphan.get("status").asText()).isEqualTo("deleted");
    assertThat(orphan.get("exactSize").asBoolean()).isTrue();
    assertThat(orphan.get("gib").asDouble()).isEqualTo(expectedGib);
    assertThat(Ec2State.read(ec2).snapshots()).doesNotContain(snapshot);
  }

  @Test
  void nothingToPruneIsExitZero() {
    Cli.Result r = prune("--project", "demo");
    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.out()).contains("us-east-1 · demo · keep 3", "no images", "0 images deregistered");
  }
}
