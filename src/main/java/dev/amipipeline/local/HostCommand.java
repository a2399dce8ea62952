package dev.amipipeline.local;

import dev.amipipeline.common.AmiException;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.function.Consumer;
import org.apache.commons.exec.CommandLine;
import org.apache.commons.exec.DefaultExecutor;
import org.apache.commons.exec.ExecuteWatchdog;
import org.apache.commons.exec.LogOutputStream;
import org.apache.commons.exec.PumpStreamHandler;

/**
 * One command of local mode on this machine (tar, chroot, ssh-keygen, the root cache script), run
 * with Commons Exec, never through a shell. Its output lines go to a consumer as they come; a
 * failure is one line naming the command and its last output.
 */
final class HostCommand {

  private static final int TAIL_LINES = 5;

  private HostCommand() {}

  static void run(List<String> argv, Duration timeout, Consumer<String> lines) {
    Deque<String> tail = new ArrayDeque<>();
    LogOutputStream sink = lines(line -> {
      synchronized (tail) {
        tail.addLast(line);
        if (tail.size() > TAIL_LINES) {
          tail.removeFirst();
        }
      }
      lines.accept(line);
    });
    DefaultExecutor executor = DefaultExecutor.builder().setExecuteStreamHandler(new PumpStreamHandler(sink)).get();
    executor.setExitValues(null);
    ExecuteWatchdog watchdog = ExecuteWatchdog.builder().setTimeout(timeout).get();
    executor.setWatchdog(watchdog);
    CommandLine command = new CommandLine(argv.get(0));
    command.addArguments(argv.subList(1, argv.size()).toArray(String[]::new), false);
    int code;
    try {
      code = executor.execute(command);
    } catch (IOException e) {
      throw new AmiException.ToolMissing("cannot run " + argv.get(0) + ": " + e.getMessage());
    } finally {
      try {
        sink.close();
      } catch (IOException e) {
        // a line without its newline is lost; the exit code still counts
      }
    }
    if (watchdog.killedProcess()) {
      throw new AmiException.Failed(String.join(" ", argv.subList(0, Math.min(2, argv.size())))
          + " did not finish within " + timeout.toMinutes() + " min and was stopped");
    }
    if (code != 0) {
      String last;
      synchronized (tail) {
        last = tail.isEmpty() ? "" : ": " + String.join(" / ", tail);
      }
      throw new AmiException.Failed(String.join(" ", argv.subList(0, Math.min(2, argv.size())))
          + " failed (exit " + code + ")" + last);
    }
  }

  /** A process's output as lines, without systemd-nspawn's {@linkplain NspawnArgv#isNoise noise}. */
  static LogOutputStream lines(Consumer<String> consumer) {
    return new LogOutputStream() {
      @Override
      protected void processLine(String line, int level) {
        if (!NspawnArgv.isNoise(line)) {
          consumer.accept(line);
        }
      }
    };
  }

  /** Deletes a machine's or a build's folder; never follows a mount below it. */
  static void removeTree(Path dir) {
    run(List.of("rm", "-rf", "--one-file-system", dir.toString()), Duration.ofMinutes(5), line -> { });
  }

  /** {@link #removeTree} where an earlier failure is the one to report. */
  static void removeTreeQuietly(Path dir) {
    try {
      removeTree(dir);
    } catch (RuntimeException e) {
      // the folder stays under the state dir, named after its machine
    }
  }
}
