package dev.amipipeline.bake;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/** The base image a bake starts from, resolved to one id before anything is hashed or built. */
public record SourceImage(String id, String name, String rootDeviceName, String creationDate) {

  public SourceImage {
    if (id == null || !id.startsWith("ami-")) {
      throw new IllegalArgumentException("not an image id: " + id);
    }
  }

  /** Newest by creation date; equal dates are settled by name, then id, so the pick is stable. */
  static Optional<SourceImage> newest(List<SourceImage> candidates) {
    return candidates.stream().max(Comparator
        .comparing((SourceImage i) -> created(i.creationDate()))
        .thenComparing(i -> i.name() == null ? "" : i.name())
        .thenComparing(SourceImage::id));
  }

  private static Instant created(String date) {
    try {
      return date == null ? Instant.EPOCH : Instant.parse(date);
    } catch (DateTimeParseException e) {
      return Instant.EPOCH;
    }
  }
}
