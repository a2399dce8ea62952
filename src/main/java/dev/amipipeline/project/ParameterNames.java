package dev.amipipeline.project;

import dev.amipipeline.common.AmiException;
import java.util.regex.Pattern;

/** The SSM Parameter Store names of one project, under the configured prefix (a contract). */
public record ParameterNames(String prefix, String project) {

  public static final String DEFAULT_PREFIX = "/ami-pipeline";
  private static final Pattern PREFIX = Pattern.compile("^(/[A-Za-z0-9_.-]+)+$");

  public ParameterNames {
    checkPrefix(prefix);
  }

  public static void checkPrefix(String prefix) {
    if (prefix == null || !PREFIX.matcher(prefix).matches() || prefix.toLowerCase().startsWith("/aws")
        || prefix.toLowerCase().startsWith("/ssm")) {
      throw new AmiException.BadInput("--ssm-prefix '" + prefix
          + "' is invalid: use a path like /ami-pipeline (letters, digits, . _ -; not under /aws or /ssm)");
    }
  }

  /** String, DataType aws:ec2:image; one version per bake. */
  public String amiId() {
    return base() + "ami-id";
  }

  /** {@code …/ami-id:N} selects version N of the parameter. */
  public String amiIdVersion(long version) {
    return amiId() + ":" + version;
  }

  /** StringList of the AMI's EBS snapshot ids. */
  public String snapshotIds() {
    return base() + "snapshot-ids";
  }

  /** JSON run configuration read on the instance at first boot. */
  public String run() {
    return base() + "run";
  }

  /** Exists only while a bake runs. */
  public String bakeLock() {
    return base() + "bake-lock";
  }

  private String base() {
    return prefix + "/" + project + "/";
  }
}
