package dev.amipipeline.project;

import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;

/** A validated project: its name (from the file name), where it came from, and what it says. */
public record Project(String name, Path file, ProjectSpec spec) {

  /** The contract for project names; also the user-data and SSM path component. */
  public static final Pattern NAME = Pattern.compile("^[a-z0-9][a-z0-9-]{0,38}$");

  public Project {
    if (!NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("invalid project name " + name);
    }
  }

  /** Regions the project is baked in; the first is where Packer builds. Empty means the CLI's. */
  public List<String> regionsOr(String defaultRegion) {
    return spec.regions().isEmpty() ? List.of(defaultRegion) : spec.regions();
  }
}
