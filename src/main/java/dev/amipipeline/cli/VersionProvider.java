package dev.amipipeline.cli;

import picocli.CommandLine.IVersionProvider;

/** Reads the version the build stamped into the jar's manifest. */
final class VersionProvider implements IVersionProvider {
  @Override
  public String[] getVersion() {
    String v = Main.class.getPackage().getImplementationVersion();
    return new String[] {"ami-pipeline " + (v == null ? "dev" : v)};
  }
}
