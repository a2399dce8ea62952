package dev.amipipeline.results;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Whether a run has ended, by what the instance side writes when it ends (RECOVERY.md). */
class RunEndTest {

  private static ExitStatus status(String instance, int code, String reason, int attempt) {
    return new ExitStatus(code, reason, null, null, instance, null, "demo-20261202-100000-0001", attempt, "t3.micro");
  }

  @Test
  void anInterruptionIsNoEndAnythingElseIsAndRunJsonAlwaysIs() {
    assertThat(RunEnd.why(null, List.of())).isEmpty();
    assertThat(RunEnd.why(null, List.of(status("i-1", 143, "spot-interruption", 1)))).isEmpty();
    assertThat(RunEnd.why(null, List.of(status("i-1", 143, "spot-interruption", 1), status("i-2", 3, "exited", 2))))
        .contains("i-2: exited, exit code 3");
    assertThat(RunEnd.why(null, List.of(status("i-3", 75, "gave-up", 6)))).contains("i-3: gave-up, exit code 75");
    assertThat(RunEnd.why(new RunSummary("demo-20261202-100000-0001", "demo", "cancelled", null, null, 1, 1,
        List.of()), List.of())).contains("run.json: cancelled");
  }
}
