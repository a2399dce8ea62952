package dev.amipipeline.bake;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.amipipeline.common.AmiException;
import dev.amipipeline.common.Json;
import dev.amipipeline.project.ParameterNames;
import java.io.PrintWriter;
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
 * {@link #STALE_AFTER} belongs to a bake that died without cleaning up and is taken over.
 */
public final class BakeLock {

  public static final Duration STALE_AFTER = Duration.ofHours(3);

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

  public BakeLock(SsmClient ssm, ParameterNames names, Clock clock, PrintWriter progress) {
    this.ssm = ssm;
    this.names = names;
    this.clock = clock;
    this.progress = progress;
  }

  /** Takes the lock for {@code me}, or fails with exit 3 naming the holder and its age. */
  public Lease acquire(Holder me) {
    if (tryCreate(me)) {
      return new Lease(me);
    }
    String value = currentValue().orElse("");
    Instant now = clock.instant();
    Optional<Holder> holder = Holder.parse(value);
    if (holder.isPresent() && holder.get().isStale(now)) {
      progress.println("ami: warning: taking over the stale bake lock " + names.bakeLock() + " held by "
          + holder.get().describe(now) + "; a lock older than " + Elapsed.words(STALE_AFTER) + " is abandoned");
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
