package dev.amipipeline.history;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.LocalDate;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class HistoryTableTest {

  private static HistoryRow row(String project, String region, String ami, String status) {
    return new HistoryRow("2026-11-22 10:00:00", project, region, ami, List.of("snap-1", "snap-2"),
        "ami-00000001", "abcdef123456", "0123abc", status);
  }

  @Test
  void emptyTextGetsHeadingAndEmptyTable() {
    String text = HistoryTable.parse("").render();
    assertThat(text).startsWith("# AMI history").contains(HistoryTable.HEADER + "\n" + HistoryTable.RULE + "\n");
    assertThat(HistoryTable.parse(text).rows()).isEmpty();
  }

  @Test
  void userTextAboveAndBelowIsPreservedByteForByte() {
    String above = "# Our images\n\nNotes *by hand*, with | pipes | in prose.\n\n";
    String below = "\nFooter text.\n";
    String text = above + HistoryTable.HEADER + "\n" + HistoryTable.RULE + "\n" + below;
    String out = HistoryTable.parse(text).append(List.of(row("ml", "us-east-1", "ami-11111111", "current"))).render();
    assertThat(out).startsWith(above).endsWith(below);
    assertThat(out).contains("| ml | us-east-1 | `ami-11111111` | snap-1, snap-2 |");
  }

  @Test
  void textWithoutTableKeepsTextAndGainsTable() {
    String out = HistoryTable.parse("My notes\n").append(List.of(row("ml", "us-east-1", "ami-1", "current"))).render();
    assertThat(out).startsWith("My notes\n\n" + HistoryTable.HEADER);
  }

  @Test
  void appendMarksPreviousCurrentOfSameProjectAndRegionKept() {
    HistoryTable t = HistoryTable.empty().append(List.of(
        row("ml", "us-east-1", "ami-1", "current"),
        row("ml", "eu-west-1", "ami-2", "current"),
        row("demo", "us-east-1", "ami-3", "current")));
    t = HistoryTable.parse(t.render()).append(List.of(row("ml", "us-east-1", "ami-4", "current")));
    assertThat(t.rows()).extracting(HistoryRow::amiId, HistoryRow::status).containsExactly(
        org.assertj.core.groups.Tuple.tuple("ami-1", "kept"),
        org.assertj.core.groups.Tuple.tuple("ami-2", "current"),
        org.assertj.core.groups.Tuple.tuple("ami-3", "current"),
        org.assertj.core.groups.Tuple.tuple("ami-4", "current"));
  }

  @Test
  void roundTripKeepsEveryCell() {
    HistoryRow r = row("ml", "us-east-1", "ami-0123456789abcdef0", "current");
    HistoryTable back = HistoryTable.parse(HistoryTable.empty().append(List.of(r)).render());
    assertThat(back.rows()).containsExactly(r);
  }

  @Test
  void markPrunedChangesOnlyThoseRows() {
    HistoryTable t = HistoryTable.empty().append(List.of(row("ml", "us-east-1", "ami-1", "kept"),
        row("ml", "us-east-1", "ami-2", "current")));
    HistoryTable pruned = t.markPruned(Set.of("ami-1"), LocalDate.of(2026, 11, 22));
    assertThat(pruned.rows()).extracting(HistoryRow::status).containsExactly("pruned 2026-11-22", "current");
  }

  @Test
  void mergeTakesEachProjectsRowsFromItsOwnCopy() {
    HistoryTable base = HistoryTable.empty().append(List.of(row("ml", "us-east-1", "ami-1", "current"),
        row("demo", "us-east-1", "ami-2", "current")));
    HistoryTable mlCopy = base.append(List.of(new HistoryRow("2026-11-23 03:20:00", "ml", "us-east-1", "ami-3",
        List.of(), "ami-src", "h", "c", "current")));
    HistoryTable demoCopy = base.markPruned(Set.of("ami-2"), LocalDate.of(2026, 11, 23));
    HistoryTable merged = base.withProjectRowsFrom("ml", mlCopy).withProjectRowsFrom("demo", demoCopy);
    assertThat(merged.rows()).extracting(HistoryRow::amiId, HistoryRow::status).containsExactly(
        org.assertj.core.groups.Tuple.tuple("ami-1", "kept"),
        org.assertj.core.groups.Tuple.tuple("ami-2", "pruned 2026-11-23"),
        org.assertj.core.groups.Tuple.tuple("ami-3", "current"));
  }
}
