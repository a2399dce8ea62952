package dev.amipipeline.local;

import dev.amipipeline.common.AmiException;
import dev.amipipeline.common.LogFile;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The machine-wide cache local bakes start from: the base root tarball and, per set of packages,
 * a local APT repository (see root-cache.sh). Whatever is missing is built here, once, from a Debian
 * mirror; that is the only time local mode uses the network. Two commands building at once take
 * turns (a file lock), so the second one finds the first one's result.
 */
public final class RootCache {

  /** The pieces of one recipe, all present. */
  public record Prepared(Path base, Path packages) {}

  private static final Duration BUILD_TIMEOUT = Duration.ofMinutes(30);

  private static final DateTimeFormatter LOG_STAMP =
      DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

  private final Path dir;
  private final String mirror;
  private final PrintWriter progress;
  private final Path logDir;

  /** @param logDir where the build's full output goes (one log per build) */
  public RootCache(Path dir, String mirror, PrintWriter progress, Path logDir) {
    this.dir = dir;
    this.mirror = mirror;
    this.progress = progress;
    this.logDir = logDir;
  }

  /** The Debian mirror: $AMI_DEBIAN_MIRROR, else the one this machine's APT uses. */
  public static String mirror(Map<String, String> env) {
    String explicit = env.get("AMI_DEBIAN_MIRROR");
    if (explicit != null && !explicit.isBlank()) {
      return explicit.strip();
    }
    List<String> sources = new ArrayList<>();
    for (Path file : List.of(Path.of("/etc/apt/sources.list"), Path.of("/etc/apt/sources.list.d/debian.sources"))) {
      try {
        sources.add(Files.readString(file));
      } catch (IOException e) {
        // absent: the other one, or the default
      }
    }
    return DebianMirror.of(sources);
  }

  /** What {@code recipe} needs, built first where missing. */
  public Prepared ensure(RootRecipe recipe) {
    String scriptDigest = RootRecipe.key(Scripts.ROOT_CACHE.text());
    Prepared prepared = new Prepared(dir.resolve(recipe.baseName(scriptDigest)),
        dir.resolve(recipe.packagesName(scriptDigest)));
    if (complete(prepared)) {
      return prepared;
    }
    try {
      Files.createDirectories(dir);
      try (FileChannel channel = FileChannel.open(dir.resolve(".lock"), StandardOpenOption.CREATE,
          StandardOpenOption.WRITE)) {
        channel.lock(); // held until the channel closes; another builder waits here, then finds our result
        build(recipe, prepared);
        removeStale(prepared.base().getFileName().toString(), recipe.packagesPrefix(scriptDigest));
      }
    } catch (IOException e) {
      throw new AmiException.Failed("cannot prepare the local root cache in " + dir + ": " + e.getMessage(), e);
    }
    return prepared;
  }

  private void build(RootRecipe recipe, Prepared prepared) throws IOException {
    Path script = Scripts.ROOT_CACHE.writeTo(dir.resolve("root-cache-" + ProcessHandle.current().pid() + ".sh"));
    try (LogFile log = LogFile.create(logDir, "local-root-" + LOG_STAMP.format(Instant.now()))) {
      say("the local root's full build log: " + log.path());
      if (!Files.isRegularFile(prepared.base())) {
        say("building the local base root once for this machine: Debian " + recipe.suite() + " from " + mirror
            + " (about a minute), kept in " + dir);
        run(List.of(script.toString(), "base", prepared.base().toString(), recipe.suite(), mirror,
            RootRecipe.REPO_PATH, String.join(",", recipe.include())), log);
      }
      if (!Files.isDirectory(prepared.packages())) {
        say("downloading " + String.join(" ", recipe.packages()) + " into a local package repository (once)");
        List<String> argv = new ArrayList<>(List.of(script.toString(), "packages", prepared.base().toString(),
            prepared.packages().toString(), recipe.suite(), mirror, RootRecipe.REPO_PATH));
        argv.addAll(recipe.packages());
        run(argv, log);
      }
    } finally {
      Files.deleteIfExists(script);
    }
  }

  /**
   * Base roots of an older recipe, and the package repositories on them: a changed recipe never
   * uses them again. Repositories of other projects on the current base stay.
   */
  private void removeStale(String baseName, String packagesPrefix) throws IOException {
    try (Stream<Path> entries = Files.list(dir)) {
      for (Path entry : entries.toList()) {
        String name = entry.getFileName().toString();
        boolean staleBase = name.startsWith("debian-") && name.endsWith(".tar.zst") && !name.equals(baseName);
        boolean stalePackages = name.startsWith("packages-") && !name.startsWith(packagesPrefix);
        if (staleBase || stalePackages) {
          say("removing " + name + " (an older recipe)");
          HostCommand.removeTree(entry);
        }
      }
    }
  }

  private static boolean complete(Prepared prepared) {
    return Files.isRegularFile(prepared.base()) && Files.isRegularFile(prepared.packages().resolve("Packages"));
  }

  /** Every line to the log; to the user one line per phase (debootstrap's and apt's counts). */
  private void run(List<String> argv, LogFile log) {
    RootCacheProgress phases = new RootCacheProgress();
    try {
      HostCommand.run(argv, BUILD_TIMEOUT, line -> {
        log.write(line);
        phases.accept(line).forEach(this::sayPhase);
      });
    } catch (AmiException.Failed e) {
      throw new AmiException.Failed(e.getMessage() + "; the full log: " + log.path(), e);
    } finally {
      phases.end().forEach(this::sayPhase);
    }
  }

  private void sayPhase(String line) {
    say("[local-root] " + line);
  }

  private void say(String line) {
    synchronized (progress) {
      progress.println(line.startsWith("[") ? line : "ami: " + line);
      progress.flush();
    }
  }
}
