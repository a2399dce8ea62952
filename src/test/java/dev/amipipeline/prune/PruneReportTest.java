package dev.amipipeline.prune;

import static dev.amipipeline.prune.Inventories.hour;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import com.fasterxml.jackson.databind.JsonNode;
import dev.amipipeline.common.ExitCode;
import dev.amipipeline.common.Json;
import dev.amipipeline.prune.Planner.Retention;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PruneReportTest {

  /** Three bakes (keep 1): ami-1 goes with snap-1; ami-2 goes but snap-shared stays for ami-3. */
  private static PrunePlan plan() {
    Inventories inv = new Inventories()
        .image("ami-1", "demo", hour(1), "snap-1")
        .image("ami-2", "demo", hour(2), "snap-2", "snap-shared")
        .image("ami-3", "demo", hour(3), "snap-shared")
        .bakeSnapshot("snap-orphan", "demo", "ami-gone", hour(0), "completed")
        .versions("demo", "ami-1", "ami-2", "ami-3");
    return Planner.plan(inv.build(), List.of(new Retention("demo", 1)), Duration.ZERO, hour(100));
  }

  private static final String DENIED = "the EBS direct API cannot list its blocks (AccessDeniedException: no)";
  private static final Map<String, SnapshotSizer.Size> SIZES = Map.of(
      "snap-1", new SnapshotSizer.Size(2.5, null),
      "snap-2", new SnapshotSizer.Size(8, DENIED),
      "snap-orphan", new SnapshotSizer.Size(8, DENIED));

  @Test
  void aDryRunCountsWhatWouldGoAndSaysNothingChanged() {
    PruneReport report = PruneReport.of(true, List.of(new PruneReport.RegionRun(plan(), SIZES, Execution.nothing())));

    assertThat(report.totals()).isEqualTo(new PruneReport.Totals(2, 3, 0, 0, 18.5, 0.93));
    assertThat(report.exitCode()).isEqualTo(ExitCode.OK);
    String text = report.toText();
    assertThat(text).startsWith("dry run: nothing was changed")
        .contains("would deregister 2 images, delete 3 snapshots; would free 18.5 GiB ≈ $0.93/month")
        .contains("note: us-east-1: 2 of 3 snapshot sizes are the volume size, not the allocated size: "
            + "the EBS direct API cannot list its blocks (AccessDeniedException: no)")
        .contains("orphan snapshot snap-orphan (8 GiB, its image is gone): delete");
    assertThat(text.lines().filter(l -> l.startsWith("ami-2")).findFirst().orElseThrow())
        .contains("delete; keeps snap-shared (shared with ami-3)", "  2  ", "16");
    assertThat(text.lines().filter(l -> l.startsWith("ami-3")).findFirst().orElseThrow())
        .contains("current (ami-id v3), newest 1");
  }

  @Test
  void aRunCountsOnlyWhatWasDoneAndListsEachFailure() {
    Execution execution = new Execution(Set.of("ami-1", "ami-2", "snap-1", "snap-orphan"),
        Map.of("snap-2", "IncorrectState: snapshot is busy"));
    PruneReport report = PruneReport.of(false, List.of(new PruneReport.RegionRun(plan(), SIZES, execution)));

    assertThat(report.totals()).isEqualTo(new PruneReport.Totals(2, 2, 0, 0, 10.5, 0.53));
    assertThat(report.exitCode()).isEqualTo(ExitCode.FAILED);
    assertThat(report.failures()).containsExactly(
        new PruneReport.Failure("us-east-1", "snap-2", "IncorrectState: snapshot is busy"));
    assertThat(report.toText())
        .contains("2 images deregistered, 2 snapshots deleted; freed 10.5 GiB ≈ $0.53/month (at $0.05 per GB-month)")
        .contains("FAILED us-east-1 snap-2: IncorrectState: snapshot is busy")
        .contains("1 failure; the rest was done. Fix the cause and run prune again");
  }

  @Test
  void jsonCarriesStatusesReasonsAndSizesOfEverySnapshot() throws Exception {
    Execution execution = new Execution(Set.of("ami-1", "snap-1"), Map.of());
    PruneReport report = PruneReport.of(false, List.of(new PruneReport.RegionRun(plan(), SIZES, execution)));

    JsonNode json = Json.OUTPUT.readTree(Json.write(report));

    JsonNode images = json.at("/regions/0/projects/0/images");
    assertThat(images.get(0).get("imageId").asText()).isEqualTo("ami-3");
    assertThat(images.get(0).get("reasons").toString()).isEqualTo("[\"current (ami-id v3)\",\"newest 1\"]");
    assertThat(images.get(2).get("status").asText()).isEqualTo("deleted");
    assertThat(images.get(2).at("/snapshots/0/exactSize").asBoolean()).isTrue();
    assertThat(images.get(2).at("/snapshots/0/gib").asDouble()).isEqualTo(2.5);
    assertThat(images.get(1).at("/snapshots/1/status").asText()).isEqualTo("shared");
    assertThat(images.get(1).at("/snapshots/1/keptBy/0").asText()).isEqualTo("ami-3");
    assertThat(json.at("/totals/dollarsPerMonth").asDouble()).isEqualTo(0.13);
  }

  @Test
  void listShowsTheStrongestStandingOfEachImage() {
    Inventories inv = new Inventories()
        .image("ami-1", "demo", hour(1)).instance("i-1", "ami-1", "stopped")
        .image("ami-2", "demo", hour(2))
        .image("ami-3", "demo", hour(3)).launchTemplate("lt-1", 4, "ami-3")
        .image("ami-4", "demo", hour(4))
        .image("ami-5", "demo", hour(5)).instance("i-5", "ami-5", "running")
        .versions("demo", "ami-4", "ami-5");
    PrunePlan plan = Planner.plan(inv.build(), List.of(new Retention("demo", 2)), Duration.ZERO, hour(100));

    ImageList list = ImageList.of(List.of(plan));

    assertThat(list.regions().get(0).projects().get(0).images())
        .extracting(ImageList.ListedImage::imageId, ImageList.ListedImage::status)
        .containsExactly(
            tuple("ami-5", "current"),
            tuple("ami-4", "kept"),
            tuple("ami-3", "in use"),
            tuple("ami-2", "prunable"),
            tuple("ami-1", "in use"));
    assertThat(list.toText()).contains("1 image is prunable with each project's keep")
        .contains("in launch template lt-1 v4");
  }
}
