package dev.amipipeline.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs a real process (the jar, a script, the AWS CLI) with a controlled environment. */
public final class Shell {

  /** The repository root, from the build (failsafe) or the working directory. */
  public static final Path REPO = Path.of(System.getProperty("ami.repo", ".")).toAbsolutePath().normalize();

  /** The shaded jar the build produced. */
  public static final Path JAR =
      Path.of(System.getProperty("ami.jar", REPO.resolve("target/ami.jar").toString()));

  /** Exit code and output of one process. */
  public record Result(int exitCode, String out, String err) {
    public List<String> errLines() {
      return err.lines().filter(l -> !l.isBlank()).toList();
    }
  }

  private Shell() {}

  /**
   * Runs {@code command} in the repository root. The environment is only {@code env} plus PATH and
   * HOME (so no AWS settings leak in from the machine).
   */
  public static Result run(List<String> command, Map<String, String> env, Duration timeout) {
    try {
      Path out = Files.createTempFile("shell-out", ".txt");
      Path err = Files.createTempFile("shell-err", ".txt");
      Process p = start(command, env, out, err);
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        throw new AssertionError("timed out after " + timeout + ": " + command);
      }
      Result r = new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
          Files.readString(err, StandardCharsets.UTF_8));
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
      return r;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /**
   * Starts {@code command} like {@link #run} but returns at once, its output going to {@code out} and
   * {@code err}; for tests that signal the process or run two at a time.
   */
  public static Process start(List<String> command, Map<String, String> env, Path out, Path err) throws IOException {
    ProcessBuilder pb = new ProcessBuilder(command).directory(REPO.toFile())
        .redirectOutput(out.toFile()).redirectError(err.toFile());
    Map<String, String> e = pb.environment();
    String path = e.get("PATH");
    String home = e.get("HOME");
    e.clear();
    e.put("PATH", path);
    e.put("HOME", home);
    e.put("AWS_EC2_METADATA_DISABLED", "true");
    e.putAll(env);
    return pb.start();
  }

  /** Asks {@code p} to end (SIGTERM), and kills it when it has not within five seconds. */
  public static void stop(Process p) {
    p.destroy();
    try {
      if (!p.waitFor(5, TimeUnit.SECONDS)) {
        p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Runs git in {@code dir} as a fixed author and returns what it printed; a failing git fails the test. */
  public static String git(Path dir, String... args) {
    List<String> command = new java.util.ArrayList<>(List.of("git", "-C", dir.toString(),
        "-c", "user.name=Job Author", "-c", "user.email=author@example.invalid"));
    command.addAll(List.of(args));
    Result r = run(command, Map.of(), Duration.ofSeconds(30));
    if (r.exitCode() != 0) {
      throw new AssertionError("git " + String.join(" ", args) + " failed: " + r.err());
    }
    return r.out();
  }

  /** The command line of {@code java -jar target/ami.jar args…}. */
  public static List<String> amiCommand(String... args) {
    List<String> cmd = new java.util.ArrayList<>(List.of("java", "-jar", JAR.toString()));
    cmd.addAll(List.of(args));
    return cmd;
  }

  /** Runs {@code java -jar target/ami.jar args…}. */
  public static Result ami(Map<String, String> env, String... args) {
    return run(amiCommand(args), env, Duration.ofMinutes(5));
  }
}
