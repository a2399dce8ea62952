package dev.amipipeline.bake;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.amipipeline.common.ExitCode;
import dev.amipipeline.common.Json;
import dev.amipipeline.history.HistoryRow;
import dev.amipipeline.history.HistoryTable;
import java.util.List;
import org.junit.jupiter.api.Test;

class BakeResultTest {

  private static final String INPUTS = "8a6f279f640c6ee2c12f156fde71e268e28bf3a191ea9ae68a3b7c0be9d71fe0";
  private static final String COMMIT = "c1aa776f400a0d7d4f8e6455e95bb4926c161bca";

  private static BakeResult.Baked twoRegions() {
    return new BakeResult.Baked("demo", List.of(
        new BakeResult.RegionImage("us-east-1", "ami-0aaa", List.of("snap-1", "snap-2"), 3),
        new BakeResult.RegionImage("us-west-2", "ami-0bbb", List.of("snap-3"), 1)),
        INPUTS, "ami-785db401", COMMIT, "demo-20261122T200545Z-ad797545", "2026-11-22T20:05:45.123Z", 4, false,
        List.of("IMDSv2 not recorded on ami-0aaa in us-east-1"),
        "/home/me/.cache/ami-pipeline/logs/bake-demo-20261122T200545Z-ad797545.log");
  }

  @Test
  void oneCurrentHistoryRowPerRegionWithShortHashes() {
    assertThat(twoRegions().historyRows()).containsExactly(
        new HistoryRow("2026-11-22 20:05:45", "demo", "us-east-1", "ami-0aaa", List.of("snap-1", "snap-2"),
            "ami-785db401", "8a6f279f640c", "c1aa776f400a", "current"),
        new HistoryRow("2026-11-22 20:05:45", "demo", "us-west-2", "ami-0bbb", List.of("snap-3"),
            "ami-785db401", "8a6f279f640c", "c1aa776f400a", "current"));
  }

  @Test
  void historyRowsRenderIntoTheTableAndMarkThePreviousBakeKept() {
    HistoryRow previous = new HistoryRow("2026-11-01 08:00:00", "demo", "us-east-1", "ami-0old", List.of("snap-0"),
        "ami-785db401", "000000000000", "unknown", "current");
    String rendered = HistoryTable.empty().append(List.of(previous)).append(twoRegions().historyRows()).render();
    assertThat(rendered)
        .contains("| 2026-11-01 08:00:00 | demo | us-east-1 | `ami-0old` | snap-0 | `ami-785db401` | `000000000000` | `unknown` | kept |")
        .contains("| 2026-11-22 20:05:45 | demo | us-east-1 | `ami-0aaa` | snap-1, snap-2 | `ami-785db401` | `8a6f279f640c` | `c1aa776f400a` | current |")
        .contains("| 2026-11-22 20:05:45 | demo | us-west-2 | `ami-0bbb` | snap-3 |");
  }

  @Test
  void bakedTextNamesEveryRegionAmiSnapshotAndTheNotes() {
    String text = twoRegions().toText();
    assertThat(text).startsWith("demo: baked ami-0aaa in 4s (local mode: not provisioned)")
        .contains("us-east-1", "ami-0aaa", "snap-1, snap-2", "us-west-2", "ami-0bbb", "snap-3", INPUTS, COMMIT,
            "note     IMDSv2 not recorded")
        .endsWith("\n  log      /home/me/.cache/ami-pipeline/logs/bake-demo-20261122T200545Z-ad797545.log");
  }

  @Test
  void jsonIsOneObjectWithAStatus() throws Exception {
    JsonNode json = Json.STRICT.readTree(Json.write(twoRegions()));
    assertThat(json.path("status").asText()).isEqualTo("baked");
    assertThat(json.path("images").get(1).path("amiId").asText()).isEqualTo("ami-0bbb");
    assertThat(json.path("images").get(0).path("snapshotIds").toString()).isEqualTo("[\"snap-1\",\"snap-2\"]");
    assertThat(json.path("inputs").asText()).isEqualTo(INPUTS);
    assertThat(json.path("seconds").asLong()).isEqualTo(4);
    assertThat(json.path("log").asText()).isEqualTo("/home/me/.cache/ami-pipeline/logs/bake-demo-20261122T200545Z-ad797545.log");

    JsonNode failed = Json.STRICT.readTree(Json.write(new BakeResult.Failed("ml", "locked", ExitCode.LOCKED)));
    assertThat(failed.path("status").asText()).isEqualTo("failed");
    assertThat(failed.path("exitCode").asInt()).isEqualTo(3);
    assertThat(failed.has("code")).isFalse();
  }

  @Test
  void allProjectsExitWithTheFirstFailure() {
    BakeResult.AllProjects all = new BakeResult.AllProjects(List.of(twoRegions(),
        new BakeResult.Failed("ml", "no image matches", ExitCode.BAD_INPUT),
        new BakeResult.Failed("web", "locked", ExitCode.LOCKED)));
    assertThat(all.exitCode()).isEqualTo(ExitCode.BAD_INPUT);
    assertThat(all.failed()).isEqualTo(2);
    assertThat(all.toText()).contains("ml: failed (exit 2): no image matches").endsWith("3 project(s), 2 failed");
    assertThat(new BakeResult.AllProjects(List.of(twoRegions())).exitCode()).isEqualTo(ExitCode.OK);
  }

  @Test
  void resultsCheckWhatTheyHold() {
    assertThatThrownBy(() -> new BakeResult.Baked("demo", List.of(), INPUTS, "ami-1", COMMIT, "n",
        "2026-11-22T20:05:45Z", 1, true, List.of(), "x.log")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new BakeResult.Baked("demo", twoRegions().images(), "short", "ami-1", COMMIT, "n",
        "2026-11-22T20:05:45Z", 1, true, List.of(), "x.log")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new BakeResult.Failed("ml", "x", ExitCode.OK)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void contractTagsOfAnImage() {
    assertThat(Bake.imageTags("demo", INPUTS, "ami-785db401", COMMIT, "demo-20261122T200545Z"))
        .containsExactly(
            org.assertj.core.api.Assertions.entry("ami-pipeline:project", "demo"),
            org.assertj.core.api.Assertions.entry("ami-pipeline:inputs", INPUTS),
            org.assertj.core.api.Assertions.entry("ami-pipeline:source-ami", "ami-785db401"),
            org.assertj.core.api.Assertions.entry("ami-pipeline:commit", COMMIT),
            org.assertj.core.api.Assertions.entry("Name", "demo-20261122T200545Z"));
  }
}
