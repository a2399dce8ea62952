package dev.amipipeline.bake;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** The commit the image is baked from, for the {@code ami-pipeline:commit} tag. */
final class GitCommit {

  static final String UNKNOWN = "unknown";

  private GitCommit() {}

  /** {@code git rev-parse HEAD} in {@code dir}, or "unknown" (no git, not a repository, no commit). */
  static String head(Path dir) {
    try {
      ShortCommand.Result r = ShortCommand.run(List.of("git", "rev-parse", "HEAD"), dir, null);
      String sha = r.output().strip();
      return r.exitCode() == 0 && sha.matches("[0-9a-f]{40,64}") ? sha : UNKNOWN;
    } catch (IOException e) {
      return UNKNOWN;
    }
  }
}
