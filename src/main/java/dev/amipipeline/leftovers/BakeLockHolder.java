package dev.amipipeline.leftovers;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.amipipeline.common.Elapsed;
import dev.amipipeline.common.Json;
import java.io.IOException;
import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * Who holds a project's bake lock ({@code <prefix>/<P>/bake-lock}, whose value is this as JSON), and
 * whether that bake has been abandoned: a bake stores its holder when it takes the lock; a later bake
 * takes an abandoned lock over, and prune ends an abandoned bake's builders at once.
 */
public record BakeLockHolder(String host, long pid, Instant started) {

  /** A lock held this long belongs to a bake that died without cleaning up, wherever it ran. */
  public static final Duration STALE_AFTER = Duration.ofHours(3);

  /**
   * A process that started this long after the lock was taken is not its holder but a later one with
   * the same pid. Generous, because process start times are only known to about a second.
   */
  static final Duration PID_REUSE_MARGIN = Duration.ofMinutes(1);

  /**
   * This machine's processes: {@code runningSince(pid)} is the start of the process running with that
   * pid ({@link Instant#MIN} when unknown), empty when none runs.
   */
  @FunctionalInterface
  public interface Processes {
    Optional<Instant> runningSince(long pid);

    /** The real process table of this machine. */
    static Processes local() {
      return pid -> ProcessHandle.of(pid).filter(ProcessHandle::isAlive)
          .map(p -> p.info().startInstant().orElse(Instant.MIN));
    }
  }

  public BakeLockHolder {
    if (host == null || host.isBlank() || started == null) {
      throw new IllegalArgumentException("a lock holder needs a host and a start time");
    }
  }

  /** This process, on this host, holding the lock since {@code started}. */
  public static BakeLockHolder thisProcess(Instant started) {
    return new BakeLockHolder(localHost(), ProcessHandle.current().pid(), started);
  }

  /** The name this host records in the locks it takes. */
  public static String localHost() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      return Optional.ofNullable(System.getenv("HOSTNAME")).orElse("unknown-host");
    }
  }

  /** Whether a lock with this value is held by a process of this host that has ended. */
  public static boolean abandonedHere(String lockValue) {
    return parse(lockValue).filter(h -> h.abandonedOn(localHost(), Processes.local())).isPresent();
  }

  public String toJson() {
    return Json.write(new Wire(host, pid, started.toString()));
  }

  /** Empty when the value is not a holder this tool wrote. */
  public static Optional<BakeLockHolder> parse(String json) {
    try {
      Wire w = Json.STRICT.readValue(json, Wire.class);
      return Optional.of(new BakeLockHolder(w.host(), w.pid(), Instant.parse(w.started())));
    } catch (JsonProcessingException | RuntimeException e) {
      return Optional.empty();
    }
  }

  public Duration age(Instant now) {
    return Duration.between(started, now);
  }

  public boolean isStale(Instant now) {
    return age(now).compareTo(STALE_AFTER) > 0;
  }

  /**
   * Whether this holder was a process of {@code thisHost} that has ended: no process runs with its
   * pid, or the one that does started after the lock was taken (the pid was reused). A holder on
   * another host cannot be checked from here and is never abandoned.
   */
  public boolean abandonedOn(String thisHost, Processes processes) {
    if (!host.equals(thisHost)) {
      return false;
    }
    Optional<Instant> since = processes.runningSince(pid);
    return since.isEmpty() || since.get().isAfter(started.plus(PID_REUSE_MARGIN));
  }

  public String describe(Instant now) {
    return host + " pid " + pid + " for " + Elapsed.words(age(now)) + " (since " + started + ")";
  }

  /** The JSON shape of the parameter's value. */
  private record Wire(String host, long pid, String started) {}
}
