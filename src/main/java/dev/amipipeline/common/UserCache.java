package dev.amipipeline.common;

import java.nio.file.Path;
import java.util.Map;

/** The user's cache folder of ami-pipeline: {@code $XDG_CACHE_HOME/ami-pipeline}, else {@code ~/.cache/ami-pipeline}. */
public final class UserCache {

  private UserCache() {}

  public static Path dir(Map<String, String> env) {
    Path cacheHome = nonBlank(env.get("XDG_CACHE_HOME")) ? Path.of(env.get("XDG_CACHE_HOME"))
        : Path.of(nonBlank(env.get("HOME")) ? env.get("HOME") : System.getProperty("user.home"), ".cache");
    return cacheHome.resolve("ami-pipeline").toAbsolutePath().normalize();
  }

  /** Where the full logs of long steps go (a bake's Packer output, the local root's build). */
  public static Path logs(Map<String, String> env) {
    return dir(env).resolve("logs");
  }

  private static boolean nonBlank(String s) {
    return s != null && !s.isBlank();
  }
}
