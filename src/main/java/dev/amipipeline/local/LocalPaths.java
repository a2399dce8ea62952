package dev.amipipeline.local;

import dev.amipipeline.common.UserCache;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;

/**
 * Where local mode keeps its files.
 *
 * @param cache built once per machine and kept across runs and clones: the base root filesystem and
 *     the package repositories ({@code $XDG_CACHE_HOME/ami-pipeline/local-root}, else
 *     {@code ~/.cache/ami-pipeline/local-root})
 * @param state belongs with the emulator whose AMI ids it uses: the local images and the running
 *     machines ({@code $AMI_LOCAL_STATE}, as for scripts/local-aws, else {@code $AMI_HOME/.local-aws})
 */
public record LocalPaths(Path cache, Path state) {

  public LocalPaths {
    Objects.requireNonNull(cache, "cache");
    Objects.requireNonNull(state, "state");
  }

  public static LocalPaths fromEnvironment(Map<String, String> env) {
    Path state = nonBlank(env.get("AMI_LOCAL_STATE")) ? Path.of(env.get("AMI_LOCAL_STATE"))
        : Path.of(nonBlank(env.get("AMI_HOME")) ? env.get("AMI_HOME") : ".", ".local-aws");
    return new LocalPaths(UserCache.dir(env).resolve("local-root"), state.toAbsolutePath().normalize());
  }

  /** The provisioned root filesystems, one tarball per AMI id. */
  public Path images() {
    return state.resolve("images");
  }

  /** One folder per running machine (its root filesystem and console log), gone when it stops. */
  public Path machines() {
    return state.resolve("machines");
  }

  private static boolean nonBlank(String s) {
    return s != null && !s.isBlank();
  }
}
