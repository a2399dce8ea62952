package dev.amipipeline.common;

/** Multi-line text cut down to the one line an error message has room for. */
public final class Lines {

  private Lines() {}

  /** The first line of {@code text} once surrounding blank space is stripped; empty for null or blank. */
  public static String first(String text) {
    return text == null ? "" : text.strip().lines().findFirst().orElse("");
  }
}
