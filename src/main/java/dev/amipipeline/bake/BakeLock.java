package dev.amipipeline.bake;

import dev.amipipeline.common.AmiException;
import dev.amipipeline.common.Elapsed;
import dev.amipipeline.leftovers.BakeLockHolder;
import dev.amipipeline.project.ParameterNames;
import java.io.PrintWriter;
import java.time.Clock;
import java.time.Instant;
import java.util.Optional;
import software.amazon.awssdk.services.ssm.SsmClient;
import software.amazon.awssdk.services.ssm.model.ParameterAlreadyExistsException;
import software.amazon.awssdk.services.ssm.model.ParameterNotFoundException;
import software.amazon.awssdk.services.ssm.model.ParameterType;

/**
 * One bake per project at a time: the SSM parameter {@code <prefix>/<P>/bake-lock}, created with
 * Overwrite=false (so exactly one creator wins) and deleted when the bake ends. An abandoned lock (see
 * {@link BakeLockHolder}: older than {@link BakeLockHolder#STALE_AFTER}, or held by a process of this
 * host that has ended, killed with SIGKILL, say) is taken over.
 */
public final class BakeLock {

  private final SsmClient ssm;
  private final ParameterNames names;
  private final Clock clock;
  private final PrintWriter progress;
  private final BakeLockHolder.Processes processes;

  public BakeLock(SsmClient ssm, ParameterNames names, Clock clock, PrintWriter progress,
      BakeLockHolder.Processes processes) {
    this.ssm = ssm;
    this.names = names;
    this.clock = clock;
    this.progress = progress;
    this.processes = processes;
  }

  /** Takes the lock for {@code me}, or fails with exit 3 naming the holder and its age. */
  public Lease acquire(BakeLockHolder me) {
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
    Optional<BakeLockHolder> holder = BakeLockHolder.parse(value);
    Optional<String> abandoned = holder.flatMap(h -> h.isStale(now)
        ? Optional.of("a lock older than " + Elapsed.words(BakeLockHolder.STALE_AFTER) + " is abandoned")
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
      holder = currentValue().flatMap(BakeLockHolder::parse);
    }
    String who = holder.map(h -> "held by " + h.describe(now)).orElse("held (value '" + value + "')");
    throw new AmiException.Locked("another bake of " + names.project() + " is running: " + names.bakeLock() + " "
        + who + "; wait for it to finish (a lock older than " + Elapsed.words(BakeLockHolder.STALE_AFTER)
        + " is taken over) or delete the parameter if that bake is gone");
  }

  private boolean tryCreate(BakeLockHolder me) {
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
    private final BakeLockHolder holder;
    private boolean released;

    private Lease(BakeLockHolder holder) {
      this.holder = holder;
    }

    public BakeLockHolder holder() {
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
