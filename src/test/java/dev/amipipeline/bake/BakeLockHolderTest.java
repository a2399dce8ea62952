package dev.amipipeline.bake;

import static org.assertj.core.api.Assertions.assertThat;

import dev.amipipeline.leftovers.BakeLockHolder;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class BakeLockHolderTest {

  private static final Instant START = Instant.parse("2026-11-22T10:00:00Z");

  @Test
  void roundTripsThroughTheParameterValue() {
    BakeLockHolder h = new BakeLockHolder("ci-runner-3", 4242, START);
    assertThat(h.toJson()).isEqualTo("{\"host\":\"ci-runner-3\",\"pid\":4242,\"started\":\"2026-11-22T10:00:00Z\"}");
    assertThat(BakeLockHolder.parse(h.toJson())).contains(h);
  }

  @Test
  void aValueThisToolDidNotWriteIsNoHolder() {
    assertThat(BakeLockHolder.parse("locked by bob")).isEmpty();
    assertThat(BakeLockHolder.parse("{\"host\":\"x\",\"pid\":1,\"started\":\"yesterday\"}")).isEmpty();
  }

  @Test
  void staleOnlyAfterThreeHours() {
    BakeLockHolder h = new BakeLockHolder("h", 1, START);
    assertThat(h.isStale(START.plus(Duration.ofHours(3)))).isFalse();
    assertThat(h.isStale(START.plus(Duration.ofHours(3)).plusSeconds(1))).isTrue();
    assertThat(h.isStale(START.plus(Duration.ofMinutes(5)))).isFalse();
  }

  @Test
  void abandonedOnlyWhenItsProcessOnThisHostHasEnded() {
    BakeLockHolder h = new BakeLockHolder("ci-3", 77, START);
    BakeLockHolder.Processes none = pid -> Optional.empty();
    BakeLockHolder.Processes holderRuns = pid -> Optional.of(START.minusSeconds(2));
    BakeLockHolder.Processes startUnknown = pid -> Optional.of(Instant.MIN);
    BakeLockHolder.Processes pidReused = pid -> Optional.of(START.plus(Duration.ofMinutes(30)));
    BakeLockHolder.Processes startRoundedUp = pid -> Optional.of(START.plusSeconds(1));

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
    BakeLockHolder me = new BakeLockHolder(BakeLockHolder.localHost(), ProcessHandle.current().pid(), Instant.now());
    BakeLockHolder gone = new BakeLockHolder(BakeLockHolder.localHost(), ended.pid(), Instant.now());

    assertThat(BakeLockHolder.abandonedHere(me.toJson())).isFalse();
    assertThat(BakeLockHolder.abandonedHere(gone.toJson())).isTrue();
    assertThat(BakeLockHolder.abandonedHere("not a holder")).isFalse();
  }

  @Test
  void describesHolderAndAge() {
    assertThat(new BakeLockHolder("ci-3", 77, START).describe(START.plus(Duration.ofMinutes(5)).plusSeconds(3)))
        .isEqualTo("ci-3 pid 77 for 5m 3s (since 2026-11-22T10:00:00Z)");
  }
}
