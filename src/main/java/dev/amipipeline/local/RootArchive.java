package dev.amipipeline.local;

import dev.amipipeline.common.AmiException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;

/**
 * Root filesystems as zstd tarballs: numeric owners, extended attributes (file capabilities) and
 * permissions kept, as root-cache.sh packs them.
 */
final class RootArchive {

  private static final List<String> TAR_OPTIONS = List.of("--numeric-owner", "--xattrs", "--xattrs-include=*");
  private static final Duration TIMEOUT = Duration.ofMinutes(20);

  private RootArchive() {}

  /** Unpacks {@code tarball} into {@code root} (created if missing). */
  static void extract(Path tarball, Path root) {
    try {
      Files.createDirectories(root);
    } catch (IOException e) {
      throw new AmiException.Failed("cannot create " + root + ": " + e.getMessage(), e);
    }
    HostCommand.run(tar(root, "-I", "zstd", "-xpf", tarball.toString()), TIMEOUT, line -> { });
  }

  /** Packs {@code root} into {@code tarball}, which appears only when complete. */
  static void pack(Path root, Path tarball) {
    Path part = tarball.resolveSibling(tarball.getFileName() + ".part");
    try {
      Files.createDirectories(tarball.getParent());
      HostCommand.run(tar(root, "-I", "zstd -T0 -3 -q", "-cf", part.toString(), "."), TIMEOUT, line -> { });
      Files.move(part, tarball, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new AmiException.Failed("cannot write " + tarball + ": " + e.getMessage(), e);
    } finally {
      try {
        Files.deleteIfExists(part);
      } catch (IOException e) {
        // a stray .part file is ignored by everything that reads images
      }
    }
  }

  private static List<String> tar(Path root, String... args) {
    List<String> argv = new java.util.ArrayList<>(List.of("tar", "-C", root.toString()));
    argv.addAll(TAR_OPTIONS);
    argv.addAll(List.of(args));
    return argv;
  }
}
