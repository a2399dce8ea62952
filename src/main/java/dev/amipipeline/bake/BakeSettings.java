package dev.amipipeline.bake;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * How to bake, from the command line: the same for every project of one {@code ami bake}.
 *
 * @param regions where to bake (the first builds, the rest get copies); empty = the project's
 * @param ssh where Packer's SSH goes instead of the builder's address; null = the builder itself
 * @param deprecateAfter the AMI's deprecation time after the bake; null = never
 * @param fullPackerOutput show every line of Packer's output, not only the steps
 * @param logDir where each bake's full Packer log is written
 */
public record BakeSettings(
    String ssmPrefix,
    boolean ifChanged,
    boolean force,
    boolean dryRun,
    String packer,
    List<String> regions,
    Duration timeout,
    Path history,
    Path template,
    SshTarget ssh,
    Duration deprecateAfter,
    boolean fullPackerOutput,
    Path logDir) {

  public BakeSettings {
    Objects.requireNonNull(ssmPrefix, "ssmPrefix");
    Objects.requireNonNull(packer, "packer");
    Objects.requireNonNull(history, "history");
    Objects.requireNonNull(template, "template");
    Objects.requireNonNull(logDir, "logDir");
    regions = regions == null ? List.of() : List.copyOf(regions);
    if (timeout == null || timeout.isZero() || timeout.isNegative()) {
      throw new IllegalArgumentException("the Packer timeout must be positive");
    }
    if (deprecateAfter != null && (deprecateAfter.isZero() || deprecateAfter.isNegative())) {
      throw new IllegalArgumentException("deprecateAfter must be positive or null");
    }
  }
}
