package dev.amipipeline.cli;

import dev.amipipeline.common.AmiException;
import java.time.Duration;
import picocli.CommandLine.Option;

/** How often a followed job's log is read: hidden, for tests that cannot wait 5 s a poll. */
final class PollInterval {

  @Option(names = "--poll-interval-ms", hidden = true, defaultValue = "5000",
      description = "How often --follow looks for new log lines.")
  long millis;

  Duration duration() {
    if (millis < 1) {
      throw new AmiException.BadInput("--poll-interval-ms must be positive");
    }
    return Duration.ofMillis(millis);
  }
}
