package dev.amipipeline.prune;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Plain-text formatting for the prune and list tables: pure, no I/O. */
final class Text {

  private static final DateTimeFormatter MINUTE =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm", Locale.ROOT).withZone(ZoneOffset.UTC);

  private Text() {}

  /** Columns padded to their widest cell, two spaces apart; the last column is not padded. */
  static String table(List<String> header, List<List<String>> rows) {
    List<List<String>> all = new ArrayList<>();
    all.add(header);
    all.addAll(rows);
    int[] width = new int[header.size()];
    for (List<String> row : all) {
      for (int c = 0; c < row.size(); c++) {
        width[c] = Math.max(width[c], row.get(c).length());
      }
    }
    StringBuilder sb = new StringBuilder();
    for (List<String> row : all) {
      StringBuilder line = new StringBuilder();
      for (int c = 0; c < row.size(); c++) {
        line.append(c == row.size() - 1 ? row.get(c) : String.format("%-" + width[c] + "s  ", row.get(c)));
      }
      sb.append(line.toString().stripTrailing()).append('\n');
    }
    return sb.toString();
  }

  /** The line above each project's table. */
  static String heading(String region, String project, int keep, String more) {
    return region + " · " + project + " · keep " + keep + more + "\n";
  }

  /** UTC, to the minute, for tables. */
  static String minute(Instant t) {
    return MINUTE.format(t);
  }

  /** ISO-8601 UTC to the second, for JSON. */
  static String iso(Instant t) {
    return t.truncatedTo(ChronoUnit.SECONDS).toString();
  }

  /** Whole numbers as such, fractions to one decimal. */
  static String gib(double gib) {
    return gib == Math.rint(gib) ? String.valueOf((long) gib) : String.format(Locale.ROOT, "%.1f", gib);
  }

  /** A list for one table cell: the first three, then how many more (the JSON has them all). */
  static String firstFew(List<String> items) {
    return items.size() <= 4 ? String.join(", ", items)
        : String.join(", ", items.subList(0, 3)) + " (+" + (items.size() - 3) + " more)";
  }

  static String plural(long n, String word) {
    return n + " " + word + (n == 1 ? "" : "s");
  }
}
