package dev.amipipeline.bake;

import dev.amipipeline.common.AmiException;
import dev.amipipeline.common.Lines;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The installed Packer's version, as {@code packer version} prints it ("Packer v1.6.6"). */
public record PackerVersion(int major, int minor, int patch) {

  private static final Pattern VERSION = Pattern.compile("Packer v(\\d+)\\.(\\d+)\\.(\\d+)");

  public PackerVersion {
    if (major < 0 || minor < 0 || patch < 0) {
      throw new IllegalArgumentException("negative version part");
    }
  }

  public static PackerVersion parse(String versionOutput) {
    Matcher m = VERSION.matcher(versionOutput == null ? "" : versionOutput);
    if (!m.find()) {
      throw new AmiException.Failed("cannot tell the Packer version from '" + Lines.first(versionOutput)
          + "'; is --packer really packer?");
    }
    return new PackerVersion(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3)));
  }

  /**
   * From 1.7 on the amazon builder is a plugin: the template needs a required_plugins block and
   * {@code packer init}. 1.6.6 has it built in and rejects that block.
   */
  public boolean needsPluginInit() {
    return major > 1 || (major == 1 && minor >= 7);
  }

  @Override
  public String toString() {
    return major + "." + minor + "." + patch;
  }
}
