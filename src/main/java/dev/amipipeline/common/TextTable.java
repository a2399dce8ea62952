package dev.amipipeline.common;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** How the tables on stdout read: columns and times. Pure. */
public final class TextTable {

  private static final DateTimeFormatter MINUTE =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm", Locale.ROOT).withZone(ZoneOffset.UTC);

  private TextTable() {}

  /** Columns padded to their widest cell, two spaces apart; the last column is not padded. */
  public static String render(List<String> header, List<List<String>> rows) {
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

  /** UTC, to the minute, for tables. */
  public static String minute(Instant t) {
    return MINUTE.format(t);
  }

  /** ISO-8601 UTC to the second, for JSON. */
  public static String iso(Instant t) {
    return t.truncatedTo(ChronoUnit.SECONDS).toString();
  }
}
