package dev.amipipeline.common;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses the short durations users type: {@code 0}, {@code 90s}, {@code 30m}, {@code 6h}, {@code 7d}. */
public final class Durations {

  private static final Pattern SHORT = Pattern.compile("(\\d{1,9})([smhd])");

  private Durations() {}

  public static Duration parse(String text, String what) {
    String trimmed = text == null ? "" : text.trim();
    if (trimmed.equals("0")) {
      return Duration.ZERO;
    }
    Matcher m = SHORT.matcher(trimmed);
    if (!m.matches()) {
      throw new AmiException.BadInput(
          what + ": '" + text + "' is not a duration; use a number and a unit, e.g. 90s, 30m, 6h, 7d");
    }
    long n = Long.parseLong(m.group(1));
    return switch (m.group(2)) {
      case "s" -> Duration.ofSeconds(n);
      case "m" -> Duration.ofMinutes(n);
      case "h" -> Duration.ofHours(n);
      default -> Duration.ofDays(n);
    };
  }

  /** The inverse of {@link #parse} for display, e.g. {@code 2h}, {@code 45s}, {@code 3d}. */
  public static String format(Duration d) {
    long s = d.getSeconds();
    if (s == 0) {
      return "0";
    }
    if (s % 86_400 == 0) {
      return s / 86_400 + "d";
    }
    if (s % 3_600 == 0) {
      return s / 3_600 + "h";
    }
    if (s % 60 == 0) {
      return s / 60 + "m";
    }
    return s + "s";
  }
}
