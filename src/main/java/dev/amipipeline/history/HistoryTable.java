package dev.amipipeline.history;

import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Set;

/**
 * ami-history.md as text in, text out: whatever the user wrote above (and below) the table is kept
 * byte for byte; only the table rows change. Pure: no files.
 */
public final class HistoryTable {

  static final String HEADER =
      "| Baked (UTC) | Project | Region | AMI | Snapshots | Source AMI | Inputs | Commit | Status |";
  static final String RULE = "|---|---|---|---|---|---|---|---|---|";
  static final String DEFAULT_PREAMBLE = """
      # AMI history

      One row per baked AMI per region, appended by `ami bake`; `ami prune` marks the rows it removes.
      Status: `current` (the image in SSM), `kept` (an older image still registered), `pruned <date>`.

      """;

  private final String before;
  private final List<HistoryRow> rows;
  private final String after;

  private HistoryTable(String before, List<HistoryRow> rows, String after) {
    this.before = before;
    this.rows = List.copyOf(rows);
    this.after = after;
  }

  public static HistoryTable empty() {
    return new HistoryTable(DEFAULT_PREAMBLE, List.of(), "");
  }

  /** Parses the file's text; a text without the table keeps all of it and gains a table below. */
  public static HistoryTable parse(String text) {
    if (text == null || text.isBlank()) {
      return empty();
    }
    List<String> lines = Arrays.asList(text.split("\n", -1));
    int header = -1;
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).strip().startsWith("| Baked")) {
        header = i;
        break;
      }
    }
    if (header < 0) {
      String sep = text.endsWith("\n\n") ? "" : text.endsWith("\n") ? "\n" : "\n\n";
      return new HistoryTable(text + sep, List.of(), "");
    }
    int i = header + 1;
    if (i < lines.size() && lines.get(i).strip().startsWith("|-")) {
      i++;
    }
    List<HistoryRow> rows = new ArrayList<>();
    while (i < lines.size() && lines.get(i).strip().startsWith("|")) {
      rows.add(parseRow(lines.get(i)));
      i++;
    }
    String before = String.join("\n", lines.subList(0, header)) + (header > 0 ? "\n" : "");
    String after = String.join("\n", lines.subList(i, lines.size()));
    return new HistoryTable(before, rows, after);
  }

  private static HistoryRow parseRow(String line) {
    String s = line.strip();
    s = s.substring(1, s.endsWith("|") ? s.length() - 1 : s.length());
    String[] cells = s.split("\\|", -1);
    String[] c = new String[9];
    for (int k = 0; k < 9; k++) {
      c[k] = k < cells.length ? cells[k].strip() : "";
    }
    List<String> snaps = c[4].isEmpty() ? List.of() : Arrays.stream(c[4].split(",")).map(String::strip).toList();
    return new HistoryRow(c[0], c[1], c[2], unquote(c[3]), snaps, unquote(c[5]), unquote(c[6]), unquote(c[7]), c[8]);
  }

  private static String unquote(String cell) {
    return cell.length() >= 2 && cell.startsWith("`") && cell.endsWith("`")
        ? cell.substring(1, cell.length() - 1) : cell;
  }

  public List<HistoryRow> rows() {
    return rows;
  }

  /**
   * Adds new bakes. Each earlier {@code current} row of the same project and region becomes
   * {@code kept}.
   */
  public HistoryTable append(Collection<HistoryRow> added) {
    List<HistoryRow> next = new ArrayList<>();
    for (HistoryRow row : rows) {
      boolean superseded = added.stream().anyMatch(
          a -> a.project().equals(row.project()) && a.region().equals(row.region()));
      next.add(superseded && row.status().equals(HistoryRow.CURRENT) ? row.withStatus(HistoryRow.KEPT) : row);
    }
    next.addAll(added);
    return new HistoryTable(before, next, after);
  }

  /** Marks the rows of these AMIs as {@code pruned <date>}. */
  public HistoryTable markPruned(Set<String> amiIds, LocalDate date) {
    List<HistoryRow> next = rows.stream()
        .map(r -> amiIds.contains(r.amiId()) ? r.withStatus(HistoryRow.PRUNED + " " + date) : r)
        .toList();
    return new HistoryTable(before, next, after);
  }

  /**
   * This table with the rows of {@code project} taken from {@code other} instead, in baked order:
   * how the nightly job merges each project's history into one file.
   */
  public HistoryTable withProjectRowsFrom(String project, HistoryTable other) {
    List<HistoryRow> next = new ArrayList<>(rows.stream().filter(r -> !r.project().equals(project)).toList());
    next.addAll(other.rows().stream().filter(r -> r.project().equals(project)).toList());
    next.sort(java.util.Comparator.comparing(HistoryRow::baked));
    return new HistoryTable(before, next, after);
  }

  public String render() {
    StringBuilder sb = new StringBuilder(before);
    sb.append(HEADER).append('\n').append(RULE).append('\n');
    for (HistoryRow r : rows) {
      sb.append("| ").append(r.baked())
          .append(" | ").append(r.project())
          .append(" | ").append(r.region())
          .append(" | ").append(code(r.amiId()))
          .append(" | ").append(String.join(", ", r.snapshotIds()))
          .append(" | ").append(code(r.sourceAmi()))
          .append(" | ").append(code(r.inputs()))
          .append(" | ").append(code(r.commit()))
          .append(" | ").append(r.status())
          .append(" |\n");
    }
    if (!after.isEmpty()) {
      sb.append(after.startsWith("\n") ? "" : "\n").append(after);
    }
    return sb.toString();
  }

  private static String code(String s) {
    return s == null || s.isEmpty() ? "" : "`" + s + "`";
  }
}
