package dev.amipipeline.bake;

import dev.amipipeline.common.AmiException;
import dev.amipipeline.common.Lines;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.apache.commons.exec.CommandLine;
import org.apache.commons.exec.DefaultExecutor;
import org.apache.commons.exec.LogOutputStream;
import org.apache.commons.exec.ProcessDestroyer;
import org.apache.commons.exec.PumpStreamHandler;
import org.apache.commons.exec.Watchdog;

/**
 * Runs the packer binary with Commons Exec: each line of its output, read back as a person would
 * see it ({@link PackerLines}), handed on as it comes; a watchdog, and {@link #interrupt()} to stop it the way Packer wants
 * to be stopped (SIGTERM: its wrapper forwards that to the build, which then removes the builder
 * instance, key pair and security group before exiting). Stopping waits for that cleanup.
 */
public final class PackerRunner {

  public static final String INSTALL_HINT = "install it (Debian: apt-get install packer;"
      + " or https://developer.hashicorp.com/packer/install) or pass --packer";

  /** Inherited variables that would give Packer another identity, region or endpoint than ours. */
  private static final Set<String> AWS_IDENTITY = Set.of(
      "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
      "AWS_SECURITY_TOKEN", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_EC2",
      // ours counts SDK attempts; Packer's waiters would read it as how often to poll.
      "AWS_MAX_ATTEMPTS");

  private static final int TAIL_LINES = 200;
  private static final Duration OUTPUT_DRAIN = Duration.ofSeconds(5);

  /** How one run ended. {@code tail} is the last lines Packer printed (as text), for the error message. */
  public record Outcome(int exitCode, boolean timedOut, boolean interrupted, List<String> tail) {
    public Outcome {
      tail = List.copyOf(tail);
    }

    public boolean succeeded() {
      return exitCode == 0 && !timedOut && !interrupted;
    }
  }

  private final String packer;
  private final Map<String, String> environment;
  private final PrintWriter progress;
  private final Running running = new Running();

  /**
   * @param awsEnvironment credentials, region and endpoint for Packer ({@code AwsClients.childEnvironment})
   * @param progress where the runner's own notes go (stderr)
   */
  public PackerRunner(String packer, Map<String, String> awsEnvironment, PrintWriter progress) {
    this.packer = packer;
    this.environment = environment(System.getenv(), awsEnvironment);
    this.progress = progress;
  }

  /**
   * The inherited environment minus any other AWS identity, plus ours; no update check (it would
   * call the internet on every run).
   */
  static Map<String, String> environment(Map<String, String> inherited, Map<String, String> aws) {
    Map<String, String> env = new HashMap<>(inherited);
    env.keySet().removeAll(AWS_IDENTITY);
    env.putAll(aws);
    env.put("CHECKPOINT_DISABLE", "1");
    return env;
  }

  /** Runs {@code packer version}; a binary that is not there is exit 4 with how to install it. */
  public PackerVersion version() {
    ShortCommand.Result r;
    try {
      r = ShortCommand.run(List.of(packer, "version"), Path.of("."), environment);
    } catch (IOException e) {
      throw new AmiException.ToolMissing(notFound(packer));
    }
    if (r.exitCode() != 0) {
      throw new AmiException.ToolMissing("'" + packer + " version' failed (exit " + r.exitCode() + "): "
          + Lines.first(r.output()) + "; " + INSTALL_HINT);
    }
    return PackerVersion.parse(r.output());
  }

  /**
   * Runs {@code argv} in {@code workDir}, handing each line of its output to {@code output} as it
   * comes. Returns when Packer has exited, also after a timeout or {@link #interrupt()}.
   */
  public Outcome run(List<String> argv, Path workDir, Duration timeout, Consumer<PackerLines.Line> output) {
    Deque<String> tail = new ArrayDeque<>();
    LineSink out = new LineSink(output, tail);
    LineSink err = new LineSink(output, tail);
    PumpStreamHandler streams = new PumpStreamHandler(out, err);
    // A child Packer leaves behind (e.g. a shell-local command) can hold its output open forever.
    streams.setStopTimeout(OUTPUT_DRAIN);
    DefaultExecutor executor = DefaultExecutor.builder()
        .setWorkingDirectory(workDir)
        .setExecuteStreamHandler(streams)
        .get();
    executor.setExitValues(null);
    executor.setProcessDestroyer(running);
    running.begin();
    // Commons Exec's ExecuteWatchdog would Process.destroy(), which also closes Packer's output pipes:
    // Packer then dies of SIGPIPE halfway through its cleanup. This watchdog only sends SIGTERM.
    Watchdog watchdog = Watchdog.builder().setTimeout(timeout).get();
    watchdog.addTimeoutObserver(w -> running.timeOut());
    CommandLine command = new CommandLine(argv.get(0));
    command.addArguments(argv.subList(1, argv.size()).toArray(String[]::new), false);
    int code;
    watchdog.start();
    try {
      code = executor.execute(command, environment);
    } catch (IOException e) {
      if (!running.started()) {
        throw new AmiException.ToolMissing(notFound(argv.get(0)));
      }
      code = running.exitCode(); // Packer ran and exited; only draining its output failed
    } finally {
      watchdog.stop();
      out.flush();
      err.flush();
    }
    synchronized (tail) {
      return new Outcome(code, running.timedOut(), running.interrupted(), List.copyOf(tail));
    }
  }

  /**
   * Asks the running Packer to stop and clean up; {@link #run} returns once it has. A third call kills
   * it outright (for a Packer stuck in its cleanup). Safe from any thread, e.g. a signal handler.
   */
  public void interrupt() {
    int asked = running.interrupt();
    if (asked == 2) {
      synchronized (progress) {
        progress.println("ami: waiting for Packer to remove its builder instance, key pair and security group;"
            + " interrupt once more to kill it and leave them behind");
        progress.flush();
      }
    }
  }

  static String notFound(String tried) {
    return "packer not found: " + INSTALL_HINT + " (tried '" + tried + "')";
  }

  /**
   * Holds the process Commons Exec started, so a signal handler or the watchdog can reach it. Stopping
   * sends SIGTERM through the process handle, which leaves the output pipes open.
   */
  private static final class Running implements ProcessDestroyer {
    private Process process;
    private boolean started;
    private int exitCode = -1;
    private int interrupts;
    private boolean timedOut;

    @Override
    public synchronized boolean add(Process p) {
      process = p;
      started = true;
      if (interrupts > 0) {
        p.toHandle().destroy(); // the interrupt came while Packer was starting
      }
      return true;
    }

    @Override
    public synchronized boolean remove(Process p) {
      if (process == p) {
        process = null;
      }
      if (!p.isAlive()) {
        exitCode = p.exitValue();
      }
      return true;
    }

    /** A new run: forget the last process, keep an interrupt that came between runs. */
    synchronized void begin() {
      started = false;
      exitCode = -1;
      timedOut = false;
    }

    synchronized boolean started() {
      return started;
    }

    synchronized int exitCode() {
      return exitCode;
    }

    @Override
    public synchronized int size() {
      return process == null ? 0 : 1;
    }

    synchronized int interrupt() {
      interrupts++;
      if (process != null && interrupts == 1) {
        process.toHandle().destroy(); // SIGTERM: Packer's wrapper forwards it and the build cancels cleanly
      } else if (process != null && interrupts >= 3) {
        process.toHandle().descendants().forEach(ProcessHandle::destroyForcibly);
        process.toHandle().destroyForcibly();
      }
      return interrupts;
    }

    synchronized void timeOut() {
      timedOut = true;
      if (process != null) {
        process.toHandle().destroy();
      }
    }

    synchronized boolean interrupted() {
      return interrupts > 0;
    }

    synchronized boolean timedOut() {
      return timedOut;
    }
  }

  /** Each line of Packer's output: read back, handed on, and kept in the tail for the error message. */
  private static final class LineSink extends LogOutputStream {
    private final Consumer<PackerLines.Line> output;
    private final Deque<String> tail;

    LineSink(Consumer<PackerLines.Line> output, Deque<String> tail) {
      super(0, StandardCharsets.UTF_8);
      this.output = output;
      this.tail = tail;
    }

    @Override
    protected void processLine(String raw, int level) {
      // One lock for both streams, so the lines reach the log in the order Packer wrote them.
      synchronized (tail) {
        for (PackerLines.Line line : PackerLines.read(raw)) {
          tail.addLast(line.text());
          if (tail.size() > TAIL_LINES) {
            tail.removeFirst();
          }
          output.accept(line);
        }
      }
    }
  }
}
