package dev.amipipeline.bake;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.commons.exec.CommandLine;
import org.apache.commons.exec.DefaultExecutor;
import org.apache.commons.exec.ExecuteWatchdog;
import org.apache.commons.exec.PumpStreamHandler;

/** A quick command whose output we want as text ({@code packer version}, {@code git rev-parse HEAD}). */
final class ShortCommand {

  /** Exit code and what the command printed on stdout and stderr together. */
  record Result(int exitCode, String output) {}

  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  private ShortCommand() {}

  /**
   * @param environment the whole environment of the command, or null to inherit ours
   * @throws IOException when the program cannot be started (not found, not executable)
   */
  static Result run(List<String> argv, Path dir, Map<String, String> environment) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    DefaultExecutor executor = DefaultExecutor.builder()
        .setWorkingDirectory(dir)
        .setExecuteStreamHandler(new PumpStreamHandler(out, out))
        .get();
    executor.setExitValues(null);
    executor.setWatchdog(ExecuteWatchdog.builder().setTimeout(TIMEOUT).get());
    CommandLine command = new CommandLine(argv.get(0));
    command.addArguments(argv.subList(1, argv.size()).toArray(String[]::new), false);
    int code = executor.execute(command, environment);
    return new Result(code, out.toString(StandardCharsets.UTF_8));
  }
}
