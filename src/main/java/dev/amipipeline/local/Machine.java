package dev.amipipeline.local;

import dev.amipipeline.common.AmiException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.stream.Stream;
import org.apache.commons.exec.CommandLine;
import org.apache.commons.exec.DefaultExecuteResultHandler;
import org.apache.commons.exec.DefaultExecutor;
import org.apache.commons.exec.ExecuteStreamHandler;
import org.apache.commons.exec.LogOutputStream;
import org.apache.commons.exec.PumpStreamHandler;

/**
 * A root filesystem booted under systemd-nspawn, owned by this process: it runs until it powers
 * itself off, {@link #stop()} halts it, or this process ends in any way.
 *
 * <p>The last part is machine.sh's: it runs in a session of its own (so Ctrl-C in the terminal
 * reaches only this process, which then halts the machine in order) and holds the other end of a
 * pipe from this process. When that pipe closes without a "stop" line first — this JVM exited,
 * crashed or was killed with SIGKILL; the kernel closes the pipe in every case — the script halts
 * the container, kills whatever is left of it and deletes the machine's folder.
 */
public final class Machine implements AutoCloseable {

  /** machine.sh's default grace for a halt before it kills the container (AMI_MACHINE_STOP_GRACE_SECONDS). */
  public static final Duration DEFAULT_GRACE = Duration.ofSeconds(10);
  /** Beyond the grace: machine.sh kills the container, nspawn ends, the overlay is unmounted. */
  private static final Duration KILL_MARGIN = Duration.ofSeconds(20);
  private static final int CONSOLE_TAIL = 8;
  private static final String OWNER = "owner";

  private final String name;
  private final Path dir;
  private final boolean overlay;
  private final DefaultExecuteResultHandler result = new DefaultExecuteResultHandler();
  private final CallerPipe pipe;
  private final Thread shutdownHook;

  private Machine(String name, Path dir, boolean overlay, CallerPipe pipe) {
    this.name = name;
    this.dir = dir;
    this.overlay = overlay;
    this.pipe = pipe;
    this.shutdownHook = new Thread(this::abandonAtExit, "stop machine " + name);
  }

  /**
   * A new, empty folder for machine {@code name} under {@code machines}, marked with this process as
   * its owner. Folders whose owner is gone and whose machine.sh no longer runs are removed first: a
   * command killed before its machine booted (while unpacking the root) leaves one behind.
   */
  public static Path newFolder(Path machines, String name, PrintWriter progress) {
    try {
      Files.createDirectories(machines);
      try (Stream<Path> folders = Files.list(machines)) {
        for (Path folder : folders.filter(Files::isDirectory).toList()) {
          if (abandoned(folder)) {
            synchronized (progress) {
              progress.println("ami: removing " + folder + ", left by a command that ended before its machine ran");
              progress.flush();
            }
            HostCommand.removeTreeQuietly(folder);
          }
        }
      }
      Path dir = machines.resolve(name);
      Files.createDirectory(dir);
      ProcessHandle self = ProcessHandle.current();
      Files.writeString(dir.resolve(OWNER), self.pid() + " " + self.info().startInstant().map(Object::toString)
          .orElse("?") + "\n");
      return dir;
    } catch (IOException e) {
      throw new AmiException.Failed("cannot create the machine folder " + machines.resolve(name) + ": "
          + e.getMessage(), e);
    }
  }

  /** Its owner process is gone (or its pid now names another process) and no machine.sh runs for it. */
  private static boolean abandoned(Path folder) {
    String[] owner;
    try {
      owner = Files.readString(folder.resolve(OWNER)).strip().split(" ");
    } catch (IOException e) {
      return false; // not one of ours, or being created right now
    }
    boolean ownerAlive = ProcessHandle.of(Long.parseLong(owner[0]))
        .map(p -> p.info().startInstant().map(Object::toString).orElse("?").equals(owner[1])).orElse(false);
    boolean scriptRuns = ProcessHandle.allProcesses().anyMatch(p -> p.info().arguments()
        .map(args -> java.util.Arrays.asList(args).contains(folder.toString())).orElse(false));
    return !ownerAlive && !scriptRuns;
  }

  /**
   * Boots {@code dir}/root with {@code nspawnArgv}. With a {@code lower} root, {@code dir}/root is an
   * overlay of {@code dir}/upper over it, mounted only in machine.sh's own mount namespace; files
   * put into {@code dir}/upper before the boot are part of the machine. The folder is the
   * machine's: it is deleted when the machine is closed (or by machine.sh when this process is gone
   * first).
   */
  public static Machine boot(String name, Path dir, Path lower, List<String> nspawnArgv, PrintWriter progress) {
    Path script = Scripts.MACHINE.writeTo(dir.resolve("machine.sh"));
    LogOutputStream lines = HostCommand.lines(line -> {
      synchronized (progress) {
        progress.println("[machine " + name + "] " + line);
        progress.flush();
      }
    });
    CallerPipe pipe = new CallerPipe(new PumpStreamHandler(lines));
    Machine machine = new Machine(name, dir, lower != null, pipe);
    // A session of its own (terminal signals reach only this process) and a mount namespace of its own.
    CommandLine command = new CommandLine("setsid");
    command.addArguments(new String[] {"--wait", "unshare", "--mount", "--propagation", "private", "bash",
        script.toString(), name, dir.toString()}, false);
    if (lower != null) {
      command.addArguments(new String[] {"--overlay", lower.toString()}, false);
    }
    command.addArgument("--", false);
    command.addArguments(nspawnArgv.toArray(String[]::new), false);
    DefaultExecutor executor = DefaultExecutor.builder().setExecuteStreamHandler(pipe).get();
    executor.setExitValues(null);
    Runtime.getRuntime().addShutdownHook(machine.shutdownHook);
    try {
      executor.execute(command, machine.result);
    } catch (IOException e) {
      machine.close();
      throw new AmiException.ToolMissing("cannot start systemd-nspawn through setsid, unshare and bash: "
          + e.getMessage());
    }
    return machine;
  }

  public String name() {
    return name;
  }

  /**
   * The machine's files as this process sees them: its whole root, or with an overlay only the
   * upper layer (what was put there before the boot and what the machine changed since).
   */
  public Path files() {
    return dir.resolve(overlay ? "upper" : "root");
  }

  public boolean running() {
    return !result.hasResult();
  }

  /** Waits up to {@code timeout} for the machine to end by itself; true when it has. */
  public boolean awaitExit(Duration timeout) {
    try {
      result.waitFor(timeout);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return !running();
  }

  /** systemd-nspawn's exit code: 0 after the container powered off or was halted. */
  public int exitCode() {
    if (running()) {
      throw new IllegalStateException(name + " is still running");
    }
    return result.getExitValue();
  }

  /**
   * Halts the machine (its systemd shuts down in order) and waits until it is down; what still runs
   * after {@code grace} is killed. Keeps the folder. A halt under way keeps the grace it was asked with.
   */
  public void stop(Duration grace) {
    if (!running()) {
      return;
    }
    requestStop(grace);
    if (!awaitExit(grace.plus(KILL_MARGIN))) {
      pipe.close(); // machine.sh takes this process for gone: it kills what is left and deletes the folder
      awaitExit(KILL_MARGIN);
    }
  }

  /** Starts a halt with {@code grace} (see {@link #stop}) and returns at once; {@link #awaitExit} waits for it. */
  public void requestStop(Duration grace) {
    if (grace.isNegative()) {
      throw new IllegalArgumentException("a halt's grace cannot be negative");
    }
    pipe.say("stop " + grace.toSeconds());
  }

  /** The last lines of the machine's console (systemd's boot and shutdown messages). */
  public String consoleTail() {
    try (Stream<String> lines = Files.lines(dir.resolve("console.log"), StandardCharsets.UTF_8)) {
      Deque<String> tail = new ArrayDeque<>();
      lines.forEach(l -> {
        tail.addLast(l.replaceAll("\u001B\\[[0-9;]*m", ""));
        if (tail.size() > CONSOLE_TAIL) {
          tail.removeFirst();
        }
      });
      return String.join(" / ", tail);
    } catch (IOException | java.io.UncheckedIOException e) {
      return "(no console output)";
    }
  }

  /**
   * Stops the machine if it runs (with the default grace: whoever closes it does not wait for its
   * units) and deletes its folder. Safe to call more than once, from any thread.
   */
  @Override
  public synchronized void close() {
    stop(DEFAULT_GRACE);
    pipe.close();
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException e) {
      // the JVM is shutting down and runs the hook anyway
    }
    // Still running after the stop: machine.sh, told this process is done with it, deletes the folder itself.
    if (!running() && Files.exists(dir)) {
      HostCommand.removeTree(dir);
    }
  }

  /**
   * At this process's exit with the machine still up (Ctrl-C, SIGTERM): machine.sh is told this
   * process is gone, as after a kill -9, so that it also does what the caller left for that (a local
   * instance's abandoned.sh ends its instance in the emulator: no thread of this process is left to
   * do it); the exit waits while it halts the machine and deletes its folder.
   */
  private void abandonAtExit() {
    if (running()) {
      pipe.close();
      awaitExit(DEFAULT_GRACE.plus(KILL_MARGIN));
    }
  }

  /**
   * machine.sh's streams: its output to progress, its stdin kept here as the pipe whose end tells it
   * this process is gone. Commons Exec's own handler would close stdin at once when given no input.
   */
  private static final class CallerPipe implements ExecuteStreamHandler {
    private final PumpStreamHandler output;
    private OutputStream stdin;

    CallerPipe(PumpStreamHandler output) {
      this.output = output;
    }

    @Override
    public synchronized void setProcessInputStream(OutputStream os) {
      this.stdin = os;
    }

    @Override
    public void setProcessErrorStream(InputStream is) {
      output.setProcessErrorStream(is);
    }

    @Override
    public void setProcessOutputStream(InputStream is) {
      output.setProcessOutputStream(is);
    }

    @Override
    public void start() {
      output.start();
    }

    @Override
    public void stop() throws IOException {
      output.stop();
    }

    synchronized void say(String line) {
      if (stdin == null) {
        return;
      }
      try {
        stdin.write((line + "\n").getBytes(StandardCharsets.UTF_8));
        stdin.flush();
      } catch (IOException e) {
        // machine.sh has ended: nothing left to tell
      }
    }

    synchronized void close() {
      if (stdin == null) {
        return;
      }
      try {
        stdin.close();
      } catch (IOException e) {
        // already closed
      }
      stdin = null;
    }
  }
}
