package dev.amipipeline.bake;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
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
  void describesHolderAndAge() {
    assertThat(new BakeLock.Holder("ci-3", 77, START).describe(START.plus(Duration.ofMinutes(5)).plusSeconds(3)))
        .isEqualTo("ci-3 pid 77 for 5m 3s (since 2026-11-22T10:00:00Z)");
  }
}
