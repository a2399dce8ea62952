package dev.amipipeline.launch;

import java.util.regex.Pattern;

/**
 * The root device name of a project's images, without asking EC2 (a DescribeImages per launch would
 * break the two-call basic path). Packer keeps the source image's root device name, and the source
 * image's family shows in the login user the project bakes with: Ubuntu (Canonical's images and the
 * Deep Learning AMIs, user {@code ubuntu}) and CentOS/Rocky use {@code /dev/sda1}; Amazon Linux
 * ({@code ec2-user}) and Debian ({@code admin}) use {@code /dev/xvda}. RHEL logs in as
 * {@code ec2-user} but uses {@code /dev/sda1}: such projects pass {@code --root-device}. A wrong name
 * would attach an extra blank volume instead of resizing the root, hence the override.
 */
public final class RootDevice {

  public static final Pattern DEVICE = Pattern.compile("^/dev/[a-z][a-z0-9]{1,15}$");

  private RootDevice() {}

  public static String forLoginUser(String sshUsername) {
    return switch (sshUsername) {
      case "ec2-user", "admin" -> "/dev/xvda";
      default -> "/dev/sda1";
    };
  }
}
