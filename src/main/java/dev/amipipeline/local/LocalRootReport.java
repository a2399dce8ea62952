package dev.amipipeline.local;

import dev.amipipeline.common.Report;
import java.nio.file.Path;

/** {@code ami bake --local-root --prepare-only}: what a project's local bakes will start from. */
public record LocalRootReport(String project, Path base, Path packages) implements Report {

  public static LocalRootReport of(String project, RootCache.Prepared prepared) {
    return new LocalRootReport(project, prepared.base(), prepared.packages());
  }

  @Override
  public String toText() {
    return project + ": local root ready (local bakes run offline from here)\n  base      " + base
        + "\n  packages  " + packages;
  }
}
