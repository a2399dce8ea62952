package dev.amipipeline.bake;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.amipipeline.common.AmiException;
import dev.amipipeline.common.Json;
import dev.amipipeline.project.ParameterNames;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import software.amazon.awssdk.services.ssm.SsmClient;
import software.amazon.awssdk.services.ssm.model.ParameterAlreadyExistsException;
import software.amazon.awssdk.services.ssm.model.ParameterNotFoundException;
import software.amazon.awssdk.services.ssm.model.ParameterType;

/**
 * One bake per project at a time: the SSM parameter {@code <prefix>/<P>/bake-lock}, created with
 * Overwrite=false (so exactly one creator wins) and deleted when the bake ends. A lock older than
 * {@link #STALE_AFTER} belongs to a bake that died without cleaning up and is taken over; so is, at
 * once, a lock whose holder is a process of this host that has ended (killed with SIGKILL, say).
 */
public final class BakeLock {

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
    return Holder.parse(lockValue).filter(h -> h.abandonedOn(localHost(), Processes.local())).isPresent();
  }

  /** Who holds the lock; the parameter's value as JSON. */
  public record Holder(String host, long pid, Instant started) {

    public Holder {
      if (host == null || host.isBlank() || started == null) {
        throw new IllegalArgumentException("a lock holder needs a host and a start time");
      }
    }

    public String toJson() {
      return Json.write(new Wire(host, pid, started.toString()));
    }

    /** Empty when the value is not a holder this tool wrote. */
    public static Optional<Holder> parse(String json) {
      try {
        Wire w = Json.STRICT.readValue(json, Wire.class);
        return Optional.of(new Holder(w.host(), w.pid(), Instant.parse(w.started())));
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
  }

  /** The JSON shape of the parameter's value. */
  private record Wire(String host, long pid, String started) {}

  private final SsmClient ssm;
  private final ParameterNames names;
  private final Clock clock;
  private final PrintWriter progress;
  private final Processes processes;

  public BakeLock(SsmClient ssm, ParameterNames names, Clock clock, PrintWriter progress, Processes processes) {
    this.ssm = ssm;
    this.names = names;
    this.clock = clock;
    this.progress = progress;
    this.processes = processes;
  }

  /** Takes the lock for {@code me}, or fails with exit 3 naming the holder and its age. */
  public Lease acquire(Holder me) {
    if (tryCreate(me)) {
      return new Lease(me);
    }
    Optional<String> found = currentValue();
    if (found.isEmpty() && tryCreate(me)) {
      return new Lease(me); // released between our two calls
    }
    String value = found.orElse("");
    if (value.equals(me.toJson())) {
      return new Lease(me); // our own create, retried after its answer was lost on the way back
    }
    Instant now = clock.instant();
    Optional<Holder> holder = Holder.parse(value);
    Optional<String> abandoned = holder.flatMap(h -> h.isStale(now)
        ? Optional.of("a lock older than " + Elapsed.words(STALE_AFTER) + " is abandoned")
        : h.abandonedOn(me.host(), processes) ? Optional.of("that process no longer runs on this host")
        : Optional.empty());
    if (abandoned.isPresent()) {
      progress.println("ami: warning: taking over the stale bake lock " + names.bakeLock() + " held by "
          + holder.get().describe(now) + "; " + abandoned.get());
      progress.flush();
      deleteIfValue(value);
      if (tryCreate(me)) {
        return new Lease(me);
      }
      holder = currentValue().flatMap(Holder::parse);
    }
    String who = holder.map(h -> "held by " + h.describe(now)).orElse("held (value '" + value + "')");
    throw new AmiException.Locked("another bake of " + names.project() + " is running: " + names.bakeLock() + " "
        + who + "; wait for it to finish (a lock older than " + Elapsed.words(STALE_AFTER)
        + " is taken over) or delete the parameter if that bake is gone");
  }

  private boolean tryCreate(Holder me) {
    try {
      ssm.putParameter(b -> b.name(names.bakeLock()).value(me.toJson()).type(ParameterType.STRING)
          .overwrite(false).description("ami-pipeline: a bake of " + names.project() + " is running"));
      return true;
    } catch (ParameterAlreadyExistsException e) {
      return false;
    }
  }

  private Optional<String> currentValue() {
    try {
      return Optional.of(ssm.getParameter(b -> b.name(names.bakeLock())).parameter().value());
    } catch (ParameterNotFoundException e) {
      return Optional.empty();
    }
  }

  /** Deletes the lock only while it still holds {@code value}, so a lock someone took over stays theirs. */
  private void deleteIfValue(String value) {
    if (currentValue().filter(value::equals).isPresent()) {
      try {
        ssm.deleteParameter(b -> b.name(names.bakeLock()));
      } catch (ParameterNotFoundException e) {
        // gone already
      }
    }
  }

  /** A held lock; closing releases it (once). */
  public final class Lease implements AutoCloseable {
    private final Holder holder;
    private boolean released;

    private Lease(Holder holder) {
      this.holder = holder;
    }

    public Holder holder() {
      return holder;
    }

    @Override
    public synchronized void close() {
      if (!released) {
        released = true;
        deleteIfValue(holder.toJson());
      }
    }
  }
}
