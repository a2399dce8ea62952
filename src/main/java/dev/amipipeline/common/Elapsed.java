package dev.amipipeline.common;

import java.time.Duration;

/** How durations read in output: a clock for a bake's live prefix, words for results and ages. */
public final class Elapsed {

  private Elapsed() {}

  /** {@code mm:ss}; minutes keep counting past 59 so the prefix keeps its width for two hours. */
  public static String clock(Duration d) {
    long s = Math.max(0, d.getSeconds());
    return String.format("%02d:%02d", s / 60, s % 60);
  }

  /** {@code 42s}, {@code 5m 3s}, {@code 10m}, {@code 2h 5m}, {@code 3h}, {@code 3d 4h}: two units at most. */
  public static String words(Duration d) {
    long s = Math.max(0, d.getSeconds());
    if (s < 60) {
      return s + "s";
    }
    if (s < 3_600) {
      return two(s / 60, "m", s % 60, "s");
    }
    if (s < 86_400) {
      return two(s / 3_600, "h", s % 3_600 / 60, "m");
    }
    return two(s / 86_400, "d", s % 86_400 / 3_600, "h");
  }

  private static String two(long big, String bigUnit, long small, String smallUnit) {
    return big + bigUnit + (small == 0 ? "" : " " + small + smallUnit);
  }
}
