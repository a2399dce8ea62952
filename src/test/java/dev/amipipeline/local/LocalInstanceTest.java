package dev.amipipeline.local;

import static org.assertj.core.api.Assertions.assertThat;

import dev.amipipeline.testing.Shell;
import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** How long a local instance's units get when it is halted, by why it is halted. */
class LocalInstanceTest {

  @Test
  void anInstanceEndedInTheEmulatorGivesFirstBootItsWholeStopTimeAndAReportedOneNeedsNone() throws IOException {
    String unit = Files.readString(Shell.REPO.resolve("launcher/ami-first-boot.service"));

    assertThat(unit).as("the image's first-boot unit").contains("\nTimeoutStopSec="
        + LocalInstance.FIRST_BOOT_STOP_TIMEOUT.toSeconds() + "\n");
    assertThat(LocalInstance.Halt.ENDED_IN_THE_EMULATOR.grace()).isGreaterThan(LocalInstance.FIRST_BOOT_STOP_TIMEOUT);
    assertThat(LocalInstance.Halt.JOB_REPORTED.grace()).isEqualTo(Duration.ofSeconds(10));
  }
}
