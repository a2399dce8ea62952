package dev.amipipeline.local;

import dev.amipipeline.common.AmiException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * What local instances need on this machine, checked before anything is started or changed: root
 * (systemd-nspawn boots containers) and a few Debian tools. Missing ones stop the command with what
 * to install.
 */
public final class LocalHost {

  /** Booting and packing a machine; curl ends its instance in the emulator if the command dies first. */
  public static final List<String> MACHINE_TOOLS = List.of("systemd-nspawn", "tar", "zstd", "curl");
  /** A bake also needs a key for Packer and, the first time, the root cache's builders. */
  public static final List<String> BAKE_TOOLS = List.of("systemd-nspawn", "tar", "zstd", "ssh-keygen", "chroot",
      "debootstrap", "dpkg-scanpackages");

  private static final Map<String, String> PACKAGES = Map.of(
      "systemd-nspawn", "systemd-container", "tar", "tar", "zstd", "zstd", "ssh-keygen", "openssh-client",
      "chroot", "coreutils", "debootstrap", "debootstrap", "dpkg-scanpackages", "dpkg-dev", "curl", "curl");

  private LocalHost() {}

  /** Stops with exit 2 unless root, with exit 4 when a tool is missing. */
  public static void require(List<String> tools, String what) {
    if (!isRoot()) {
      throw new AmiException.BadInput(what + " needs root: systemd-nspawn boots the image as a container"
          + " (run as root or with sudo)");
    }
    Map<String, String> missing = missing(tools, LocalHost::onPath);
    if (!missing.isEmpty()) {
      throw new AmiException.ToolMissing(what + " needs " + String.join(", ", missing.keySet())
          + ": apt-get install " + String.join(" ", missing.values().stream().distinct().toList())
          + " (installing systemd-container may upgrade this machine's systemd)");
    }
  }

  /** The tools {@code onPath} does not find, each with the Debian package that has it. */
  static Map<String, String> missing(List<String> tools, Predicate<String> onPath) {
    Map<String, String> missing = new LinkedHashMap<>();
    for (String tool : tools) {
      if (!onPath.test(tool)) {
        missing.put(tool, PACKAGES.getOrDefault(tool, tool));
      }
    }
    return missing;
  }

  static boolean isRoot() {
    try (Stream<String> status = Files.lines(Path.of("/proc/self/status"))) {
      return status.filter(l -> l.startsWith("Uid:")).findFirst()
          .map(l -> l.split("\\s+")[2].equals("0")) // real, effective, …: the effective uid
          .orElse(false);
    } catch (IOException e) {
      return false; // not Linux: nspawn is not there either
    }
  }

  private static boolean onPath(String command) {
    String path = System.getenv("PATH");
    for (String dir : (path == null ? "/usr/sbin:/usr/bin:/sbin:/bin" : path + ":/usr/sbin:/sbin").split(":")) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, command))) {
        return true;
      }
    }
    return false;
  }
}
