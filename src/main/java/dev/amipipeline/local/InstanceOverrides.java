package dev.amipipeline.local;

import java.util.Map;

/**
 * What {@code ami launch --local} changes in the throwaway copy of an image, as text. The image
 * itself stays as baked: {@code /etc/ami-pipeline/env} keeps only AMI_SSM_PREFIX (the contract), and
 * what differs from EC2 goes into a drop-in of the first-boot unit instead, through the overrides
 * first-boot already has: the metadata endpoint, the AWS endpoint, and credentials in place of an
 * instance profile.
 */
final class InstanceOverrides {

  static final String DROP_IN = "etc/systemd/system/ami-first-boot.service.d/ami-pipeline-local.conf";
  /** Written when first-boot has ended, whatever way: then the machine should be powering off. */
  static final String ENDED = "var/lib/ami-pipeline-local/first-boot.ended";
  /** Masked in the copy: with the host's network it would listen on the host's port 22. */
  static final String SSH_UNIT = "etc/systemd/system/ssh.service";

  private InstanceOverrides() {}

  /** The drop-in: each variable as a systemd Environment= line, and the end marker. */
  static String firstBootDropIn(Map<String, String> environment) {
    StringBuilder text = new StringBuilder("""
        # Written by ami launch --local into this throwaway copy of the image: first-boot talks to the
        # metadata stand-in and the emulator on the host's loopback.
        [Service]
        """);
    environment.forEach((name, value) -> text.append("Environment=\"").append(name).append('=')
        .append(quoted(value)).append("\"\n"));
    // $$: a literal $ for sh (systemd would expand $NAME itself).
    text.append("ExecStopPost=/bin/sh -c 'echo \"$$SERVICE_RESULT $$EXIT_CODE $$EXIT_STATUS\" > /")
        .append(ENDED).append("'\n");
    return text.toString();
  }

  /** A value inside systemd's double quotes: backslash escapes, and %% for a literal %. */
  static String quoted(String value) {
    if (value.chars().anyMatch(Character::isISOControl)) {
      throw new IllegalArgumentException("a unit setting cannot hold control characters");
    }
    return value.replace("\\", "\\\\").replace("\"", "\\\"").replace("%", "%%");
  }
}
