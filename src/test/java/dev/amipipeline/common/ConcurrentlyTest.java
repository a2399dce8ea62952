package dev.amipipeline.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

class ConcurrentlyTest {

  @Test
  void resultsComeInTheItemsOrderWhateverOrderTheCallsEndIn() {
    List<Integer> delays = List.of(60, 0, 30);

    assertThat(Concurrently.map(3, delays, ms -> {
      sleep(ms);
      return "after " + ms;
    })).containsExactly(Map.entry(60, "after 60"), Map.entry(0, "after 0"),
        Map.entry(30, "after 30"));
  }

  @Test
  void theFirstFailureInTheItemsOrderIsThrownOnceEveryStepHasEnded() {
    AtomicBoolean lastRan = new AtomicBoolean();
    List<Supplier<String>> steps = List.of(
        () -> "fine",
        () -> {
          sleep(30);
          throw new AmiException.Failed("second");
        },
        () -> {
          throw new IllegalStateException("third");
        },
        () -> {
          sleep(60);
          lastRan.set(true);
          return "late";
        });

    assertThatThrownBy(() -> Concurrently.all(steps)).isInstanceOf(AmiException.Failed.class).hasMessage("second");
    assertThat(lastRan).isTrue();
  }

  /** Ctrl-C reaches a command as an interrupt of the thread that waits for its pool: exit 130, not an internal error. */
  @Test
  void aCallerInterruptedWhileItsPoolWorksStopsWithInterruptedAndExit130() throws Exception {
    CountDownLatch working = new CountDownLatch(2);
    CountDownLatch never = new CountDownLatch(1);
    AtomicReference<RuntimeException> thrown = new AtomicReference<>();
    AtomicBoolean stillFlagged = new AtomicBoolean();
    Thread caller = new Thread(() -> {
      try {
        Concurrently.forEach(2, List.of("a", "b", "c"), item -> {
          working.countDown();
          try {
            never.await();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // the pool is shut down: this worker stops
          }
        });
      } catch (RuntimeException e) {
        thrown.set(e);
        stillFlagged.set(Thread.currentThread().isInterrupted());
      }
    });
    caller.start();
    assertThat(working.await(10, TimeUnit.SECONDS)).as("both workers started").isTrue();

    caller.interrupt();
    caller.join(Duration.ofSeconds(10).toMillis());

    assertThat(caller.isAlive()).as("the caller stopped waiting").isFalse();
    assertThat(thrown.get()).isInstanceOf(AmiException.Interrupted.class).hasMessageStartingWith("interrupted: ");
    assertThat(((AmiException) thrown.get()).exitCode().code()).isEqualTo(130);
    assertThat(stillFlagged).as("the interrupt stays visible to the caller's caller").isTrue();
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
