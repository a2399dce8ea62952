package dev.amipipeline.results;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Optional;

/** The ISO-8601 times instances write and tags carry ({@code 2026-12-02T10:15:00Z}, with or without an offset). */
public final class Timestamps {

  private Timestamps() {}

  /** Empty when absent or not a time: a result file with a bad date still shows the rest. */
  public static Optional<Instant> parse(String text) {
    if (text == null || text.isBlank()) {
      return Optional.empty();
    }
    try {
      return Optional.of(OffsetDateTime.parse(text.strip()).toInstant());
    } catch (DateTimeParseException e) {
      return Optional.empty();
    }
  }
}
