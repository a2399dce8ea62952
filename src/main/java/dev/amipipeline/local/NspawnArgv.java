package dev.amipipeline.local;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The systemd-nspawn command line of a local machine, as a plain list.
 *
 * <ul>
 *   <li>{@code --register=no --keep-unit}: needed where PID 1 is not systemd, harmless where it is;
 *       the machine is owned by the command that started it, not by systemd-machined.</li>
 *   <li>The host's network: the machine reaches the emulator, the metadata stand-in and Packer
 *       reaches its sshd, all on 127.0.0.1; a private network would need a veth set up on the
 *       host. Local images therefore run no network service of their own (launch masks sshd).</li>
 *   <li>{@code --resolv-conf=off --timezone=off --link-journal=no}: nspawn changes nothing in the
 *       root and nothing on the host.</li>
 *   <li>{@code --console=passive}: no console input; boot output goes to the machine's console log.</li>
 * </ul>
 */
public final class NspawnArgv {

  /** A machine name is its hostname. */
  static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");

  private NspawnArgv() {}

  /**
   * True for a line systemd-nspawn prints on every exit where PID 1 is not systemd ("Attempted to
   * remove disk file system under /run/systemd/nspawn/propagate/…"): harmless, so not shown.
   */
  static boolean isNoise(String line) {
    return line.contains("Attempted to remove disk file system under");
  }

  /** Boots {@code root} under systemd; {@code readOnlyBinds} maps host paths to paths inside. */
  public static List<String> boot(String name, Path root, Map<Path, String> readOnlyBinds) {
    if (!NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("not a machine name: " + name);
    }
    List<String> argv = new ArrayList<>(List.of("systemd-nspawn", "--quiet", "--directory=" + root,
        "--machine=" + name, "--register=no", "--keep-unit", "--console=passive", "--resolv-conf=off",
        "--timezone=off", "--link-journal=no"));
    readOnlyBinds.forEach((host, inside) -> argv.add("--bind-ro=" + host + ":" + inside));
    argv.add("--boot");
    return List.copyOf(argv);
  }
}
