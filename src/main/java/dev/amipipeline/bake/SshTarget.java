package dev.amipipeline.bake;

import dev.amipipeline.common.AmiException;
import java.nio.file.Path;

/**
 * Where Packer's SSH goes instead of the builder's own address: a bastion, or a local sshd standing
 * in for the instance an emulator cannot boot. {@code privateKey} may be null (Packer then makes a
 * temporary key pair).
 */
public record SshTarget(String host, int port, Path privateKey) {

  public SshTarget {
    if (host == null || host.isBlank()) {
      throw new IllegalArgumentException("empty host");
    }
    if (port < 1 || port > 65_535) {
      throw new IllegalArgumentException("port out of range: " + port);
    }
  }

  /** Parses {@code HOST} or {@code HOST:PORT} (port 22 when absent). */
  public static SshTarget parse(String hostAndPort, Path privateKey) {
    String s = hostAndPort == null ? "" : hostAndPort.strip();
    int colon = s.lastIndexOf(':');
    String host = colon < 0 ? s : s.substring(0, colon);
    String port = colon < 0 ? "22" : s.substring(colon + 1);
    if (host.isEmpty() || !port.matches("\\d{1,5}") || Integer.parseInt(port) < 1 || Integer.parseInt(port) > 65_535) {
      throw new AmiException.BadInput("--ssh-target '" + hostAndPort + "' is not HOST or HOST:PORT, e.g. 127.0.0.1:2222");
    }
    return new SshTarget(host, Integer.parseInt(port), privateKey);
  }
}
