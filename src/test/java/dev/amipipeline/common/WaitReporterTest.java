package dev.amipipeline.common;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class WaitReporterTest {

  /** A clock the test moves by hand. */
  static final class StepClock extends Clock {
    private Instant now = Instant.parse("2026-12-02T01:00:00Z");

    void advance(Duration d) {
      now = now.plus(d);
    }

    @Override
    public Instant instant() {
      return now;
    }

    @Override
    public java.time.ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }
  }

  @Test
  void saysWhatItWaitsForAndForHowLongEveryTenSecondsNeverMoreOften() {
    StepClock clock = new StepClock();
    List<String> said = new ArrayList<>();
    WaitReporter waiting = new WaitReporter("AMI ami-1 in us-east-1 to become available", clock, WaitReporter.EVERY,
        said::add);

    for (int second = 1; second <= 75; second++) { // one tick a second, as from the ticker
      clock.advance(Duration.ofSeconds(1));
      waiting.tick();
    }

    assertThat(said).containsExactly(
        "waiting for AMI ami-1 in us-east-1 to become available (10s)",
        "waiting for AMI ami-1 in us-east-1 to become available (20s)",
        "waiting for AMI ami-1 in us-east-1 to become available (30s)",
        "waiting for AMI ami-1 in us-east-1 to become available (40s)",
        "waiting for AMI ami-1 in us-east-1 to become available (50s)",
        "waiting for AMI ami-1 in us-east-1 to become available (1m)",
        "waiting for AMI ami-1 in us-east-1 to become available (1m 10s)");
  }

  @Test
  void aShortWaitSaysNothingAndSlowRoundsSayOnEachOfThem() {
    StepClock clock = new StepClock();
    List<String> said = new ArrayList<>();
    WaitReporter waiting = new WaitReporter("i-1 to be running", clock, WaitReporter.EVERY, said::add);

    clock.advance(Duration.ofMillis(9_999));
    waiting.tick();
    assertThat(said).isEmpty();

    clock.advance(Duration.ofSeconds(25)); // a loop that polls every 25 s
    waiting.tick();
    clock.advance(Duration.ofSeconds(25));
    waiting.tick();
    assertThat(said).containsExactly("waiting for i-1 to be running (34s)", "waiting for i-1 to be running (59s)");
  }

  @Test
  @Timeout(value = 30, unit = TimeUnit.SECONDS)
  void duringABlockingCallItTicksOnItsOwnUntilClosed() throws Exception {
    List<String> said = new CopyOnWriteArrayList<>();
    try (WaitReporter waiting = WaitReporter.during("the test", said::add)) {
      Thread.sleep(11_500); // the real ticker: the first report comes after 10 s
    }
    int afterClose = said.size();
    Thread.sleep(1_500);

    assertThat(said).singleElement().asString().matches("waiting for the test \\(1[01]s\\)");
    assertThat(said).hasSize(afterClose);
  }

  @Test
  void printsWholeLinesWithThePrefix() {
    java.io.StringWriter out = new java.io.StringWriter();
    WaitReporter.printingTo(new java.io.PrintWriter(out), "ami: ").accept("waiting for x (10s)");
    assertThat(out.toString()).isEqualTo("ami: waiting for x (10s)" + System.lineSeparator());
  }
}
