package dev.amipipeline.bake;

import java.util.ArrayList;
import java.util.List;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * Catches SIGINT (Ctrl-C) and SIGTERM while a bake runs, instead of letting the JVM exit at once.
 * The bake then stops Packer, waits for its cleanup, releases the lock and exits 130 on its own
 * thread. From a terminal Packer gets the Ctrl-C too; from a script or CI only the JVM may, so the
 * handler forwards it. Java has no public signal API; sun.misc.Signal (jdk.unsupported) is the
 * supported way to do this. Where it cannot be installed the JVM's default (exit at once) remains.
 */
final class Interruption implements AutoCloseable {

  private final List<Signal> signals = new ArrayList<>();
  private final List<SignalHandler> previous = new ArrayList<>();
  private volatile boolean received;

  private Interruption() {}

  /** Installs the handlers; {@code onSignal} runs (on the signal thread) for every signal. */
  static Interruption install(Runnable onSignal) {
    Interruption i = new Interruption();
    for (String name : List.of("INT", "TERM")) {
      try {
        Signal signal = new Signal(name);
        SignalHandler old = Signal.handle(signal, s -> {
          i.received = true;
          onSignal.run();
        });
        i.signals.add(signal);
        i.previous.add(old);
      } catch (IllegalArgumentException e) {
        // the JVM runs with -Xrs or reserves this signal: keep its default behaviour
      }
    }
    return i;
  }

  boolean received() {
    return received;
  }

  /** Puts back the handlers that were there before. */
  @Override
  public void close() {
    for (int k = 0; k < signals.size(); k++) {
      Signal.handle(signals.get(k), previous.get(k));
    }
  }
}
