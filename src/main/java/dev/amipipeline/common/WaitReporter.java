package dev.amipipeline.common;

import java.io.PrintWriter;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Says what a command waits for and for how long, every {@link #EVERY} while the wait lasts, so a
 * person (or a CI log) is never left without news. A wait that ends sooner says nothing.
 *
 * <p>A loop of its own calls {@link #tick()} on each round; a blocking call (an SDK waiter) is
 * wrapped in {@link #during}, which ticks from a daemon thread until closed.
 */
public final class WaitReporter implements AutoCloseable {

  public static final Duration EVERY = Duration.ofSeconds(10);

  private final String what;
  private final Clock clock;
  private final Duration every;
  private final Consumer<String> say;
  private final Instant started;
  private Instant lastSaid;
  private ScheduledExecutorService ticker;

  /**
   * @param what what is awaited, e.g. "AMI ami-1 in us-east-1 to become available"
   * @param say where the lines go (stderr)
   */
  public WaitReporter(String what, Clock clock, Duration every, Consumer<String> say) {
    this.what = what;
    this.clock = clock;
    this.every = every;
    this.say = say;
    this.started = clock.instant();
    this.lastSaid = started;
  }

  /** Ticks every second from a daemon thread while the caller blocks; close it when the wait is over. */
  public static WaitReporter during(String what, Consumer<String> say) {
    WaitReporter reporter = new WaitReporter(what, Clock.systemUTC(), EVERY, say);
    reporter.ticker = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "wait-reporter");
      t.setDaemon(true);
      return t;
    });
    reporter.ticker.scheduleAtFixedRate(reporter::tick, 1, 1, TimeUnit.SECONDS);
    return reporter;
  }

  /** Lines to a progress stream after {@code prefix}, whole and flushed (other threads print there too). */
  public static Consumer<String> printingTo(PrintWriter progress, String prefix) {
    return line -> {
      synchronized (progress) {
        progress.println(prefix + line);
        progress.flush();
      }
    };
  }

  /** Says how long the wait has lasted when {@code every} has passed since it last said so. */
  public synchronized void tick() {
    Instant now = clock.instant();
    if (Duration.between(lastSaid, now).compareTo(every) >= 0) {
      lastSaid = now;
      say.accept("waiting for " + what + " (" + Elapsed.words(Duration.between(started, now)) + ")");
    }
  }

  @Override
  public void close() {
    if (ticker != null) {
      ticker.shutdownNow();
    }
  }
}
