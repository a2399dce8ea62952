package dev.amipipeline.local;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

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
  /** In an image that has cloud-init, the copy gets what cloud-init would read from EC2 (see cloudInitSeed). */
  static final String CLOUD_INIT = "usr/bin/cloud-init";
  /** Where cloud-init's NoCloud datasource finds a seed on disk. */
  static final String NOCLOUD_SEED = "var/lib/cloud/seed/nocloud/";
  static final String CLOUD_INIT_LOCAL_CFG = "etc/cloud/cloud.cfg.d/99-ami-pipeline-local.cfg";
  private static final Pattern INSTANCE_ID = Pattern.compile("i-[0-9a-f]{8,17}");

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

  /**
   * What cloud-init reads from EC2's metadata service, as files (path in the root → content): a
   * NoCloud seed with the instance's user-data as it is, and meta-data with its instance id (a new id
   * is a new instance to cloud-init) and hostname (the machine's name). The datasource list names
   * NoCloud alone, with None as cloud-init's fallback: an image made for EC2 may list only Ec2, and
   * cloud-init's Ec2 check finds nothing in a container.
   */
  static Map<String, String> cloudInitSeed(String instanceId, String userData) {
    if (!INSTANCE_ID.matcher(instanceId).matches()) {
      throw new IllegalArgumentException("not an instance id: " + instanceId);
    }
    Map<String, String> files = new LinkedHashMap<>();
    files.put(NOCLOUD_SEED + "meta-data", "instance-id: " + instanceId + "\nlocal-hostname: " + instanceId + "\n");
    // NoCloud needs the file; an instance launched without user-data gets an empty one, as from EC2.
    files.put(NOCLOUD_SEED + "user-data", userData == null ? "" : userData);
    files.put(CLOUD_INIT_LOCAL_CFG, """
        # Written by ami launch --local into this throwaway copy of the image: cloud-init reads the
        # instance's user-data and identity from the seed in /var/lib/cloud/seed/nocloud, in place of
        # EC2's metadata service.
        datasource_list: [ NoCloud, None ]
        """);
    return files;
  }

  /** A value inside systemd's double quotes: backslash escapes, and %% for a literal %. */
  static String quoted(String value) {
    if (value.chars().anyMatch(Character::isISOControl)) {
      throw new IllegalArgumentException("a unit setting cannot hold control characters");
    }
    return value.replace("\\", "\\\\").replace("\"", "\\\"").replace("%", "%%");
  }
}
