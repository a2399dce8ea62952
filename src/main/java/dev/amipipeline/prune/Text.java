package dev.amipipeline.prune;

import dev.amipipeline.common.TextTable;
import java.time.Instant;
import java.util.List;
import java.util.Locale;

/** Plain-text formatting for the prune and list tables: pure, no I/O. */
final class Text {

  private Text() {}

  /** Columns padded to their widest cell, two spaces apart; the last column is not padded. */
  static String table(List<String> header, List<List<String>> rows) {
    return TextTable.render(header, rows);
  }

  /** The line above each project's table. */
  static String heading(String region, String project, int keep, String more) {
    return region + " · " + project + " · keep " + keep + more + "\n";
  }

  /** UTC, to the minute, for tables. */
  static String minute(Instant t) {
    return TextTable.minute(t);
  }

  /** ISO-8601 UTC to the second, for JSON. */
  static String iso(Instant t) {
    return TextTable.iso(t);
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
