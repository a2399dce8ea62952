package dev.amipipeline.bake;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class BakeLockHolderTest {

  private static final Instant START = Instant.parse("2026-11-22T10:00:00Z");

  @Test
  void roundTripsThroughTheParameterValue() {
    BakeLock.Holder h = new BakeLock.Holder("ci-runner-3", 4242, START);
    assertThat(h.toJson()).isEqualTo("{\"host\":\"ci-runner-3\",\"pid\":4242,\"started\":\"2026-11-22T10:00:00Z\"}");
    assertThat(BakeLock.Holder.parse(h.toJson())).contains(h);
  }

  @Test
  void aValueThisToolDidNotWriteIsNoHolder() {
    assertThat(BakeLock.Holder.parse("locked by bob")).isEmpty();
    assertThat(BakeLock.Holder.parse("{\"host\":\"x\",\"pid\":1,\"started\":\"yesterday\"}")).isEmpty();
  }

  @Test
  void staleOnlyAfterThreeHours() {
    BakeLock.Holder h = new BakeLock.Holder("h", 1, START);
    assertThat(h.isStale(START.plus(Duration.ofHours(3)))).isFalse();
    assertThat(h.isStale(START.plus(Duration.ofHours(3)).plusSeconds(1))).isTrue();
    assertThat(h.isStale(START.plus(Duration.ofMinutes(5)))).isFalse();
  }

  @Test
  void abandonedOnlyWhenItsProcessOnThisHostHasEnded() {
    BakeLock.Holder h = new BakeLock.Holder("ci-3", 77, START);
    BakeLock.Processes none = pid -> Optional.empty();
    BakeLock.Processes holderRuns = pid -> Optional.of(START.minusSeconds(2));
    BakeLock.Processes startUnknown = pid -> Optional.of(Instant.MIN);
    BakeLock.Processes pidReused = pid -> Optional.of(START.plus(Duration.ofMinutes(30)));
    BakeLock.Processes startRoundedUp = pid -> Optional.of(START.plusSeconds(1));

    assertThat(h.abandonedOn("ci-3", none)).isTrue();
    assertThat(h.abandonedOn("ci-3", pidReused)).isTrue();
    assertThat(h.abandonedOn("ci-3", holderRuns)).isFalse();
    assertThat(h.abandonedOn("ci-3", startUnknown)).isFalse();
    assertThat(h.abandonedOn("ci-3", startRoundedUp)).as("start times are known to about a second").isFalse();
    assertThat(h.abandonedOn("ci-4", none)).as("another host's processes cannot be seen from here").isFalse();
  }

  @Test
  void theRealProcessTableKnowsThisProcessAndNotAnEndedOne() throws Exception {
    Process ended = new ProcessBuilder("true").start();
    ended.waitFor();
    BakeLock.Holder me = new BakeLock.Holder(BakeLock.localHost(), ProcessHandle.current().pid(), Instant.now());
    BakeLock.Holder gone = new BakeLock.Holder(BakeLock.localHost(), ended.pid(), Instant.now());

    assertThat(BakeLock.abandonedHere(me.toJson())).isFalse();
    assertThat(BakeLock.abandonedHere(gone.toJson())).isTrue();
    assertThat(BakeLock.abandonedHere("not a holder")).isFalse();
  }

  @Test
  void describesHolderAndAge() {
    assertThat(new BakeLock.Holder("ci-3", 77, START).describe(START.plus(Duration.ofMinutes(5)).plusSeconds(3)))
        .isEqualTo("ci-3 pid 77 for 5m 3s (since 2026-11-22T10:00:00Z)");
  }
}
