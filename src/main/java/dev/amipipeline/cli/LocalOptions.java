package dev.amipipeline.cli;

import picocli.CommandLine.Option;

/** {@code ami launch}'s flags for instances booted on this machine, and the spot notice they simulate. */
final class LocalOptions {

  @Option(names = "--local",
      description = "Boot the launched instances on this machine from their local image (needs --endpoint-url and"
          + " root).")
  boolean local;

  @Option(names = "--spot-interrupt-after", paramLabel = "DURATION",
      description = "With --local and --spot: the metadata service gives the spot interruption notice this long"
          + " after boot, e.g. 10s; in a recovering run, to its first attempt only (see --spot-interrupt-attempts).")
  String spotInterruptAfter;

  @Option(names = "--spot-interrupt-attempts", paramLabel = "N",
      description = "With --spot-interrupt-after: the notice comes to each of the run's first N attempts that run on"
          + " spot (default: 1); launch.recover.maxAttempts or more uses all attempts up (the run gives up).")
  Integer spotInterruptAttempts;
}
