package dev.amipipeline.testing;

import dev.amipipeline.common.Durations;
import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Waiting in tests for something another process or thread does, with a failure that says what did not happen. */
public final class Await {

  private static final long POLL_MILLIS = 20;

  private Await() {}

  /** Polls {@code condition} until it holds; fails naming {@code what} once {@code limit} has passed. */
  public static void until(String what, Duration limit, BooleanSupplier condition) {
    until(what, limit, null, condition);
  }

  /** As {@link #until(String, Duration, BooleanSupplier)}, and fails at once if {@code process} ends first. */
  public static void until(String what, Duration limit, Process process, BooleanSupplier condition) {
    long deadline = System.nanoTime() + limit.toNanos();
    while (!condition.getAsBoolean()) {
      if (process != null && !process.isAlive()) {
        throw new AssertionError(what + ": the process ended first (exit " + process.exitValue() + ")");
      }
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("gave up after " + Durations.format(limit) + " waiting for: " + what);
      }
      try {
        Thread.sleep(POLL_MILLIS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted while waiting for: " + what, e);
      }
    }
  }
}
