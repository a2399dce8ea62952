package dev.amipipeline.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The launch command only turns flags into a LaunchRequest and hands it to launch/Launch; when it grows
 * past 200 lines, logic is creeping back into the CLI (it had reached 420 before Launch existed).
 */
class LaunchCommandSizeTest {

  @Test
  void theLaunchCommandStaysAThinLayerOverLaunch() throws IOException {
    long lines;
    try (var all = Files.lines(Path.of("src/main/java/dev/amipipeline/cli/LaunchCommand.java"))) {
      lines = all.count();
    }
    assertThat(lines).as("lines of LaunchCommand.java: move rules to LaunchRequest, work to Launch")
        .isLessThanOrEqualTo(200);
  }
}
