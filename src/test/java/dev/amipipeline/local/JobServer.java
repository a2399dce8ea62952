package dev.amipipeline.local;

import dev.amipipeline.testing.Shell;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * The project's repository as a local instance reaches it: a bare repository served by
 * {@code git daemon} on 127.0.0.1 (the instance shares the host's network, not its files). Its
 * {@code job.sh} is what the run configuration's command runs; a test publishes the job it needs
 * before it launches, so one bake serves every launch.
 */
final class JobServer implements AutoCloseable {

  private final Path work;
  private final Process daemon;
  private final int port;

  private JobServer(Path work, Process daemon, int port) {
    this.work = work;
    this.daemon = daemon;
    this.port = port;
  }

  static JobServer start(Path dir) throws IOException {
    Path served = Files.createDirectories(dir.resolve("served"));
    Path work = Files.createDirectories(dir.resolve("job-src"));
    Shell.git(dir, "init", "-q", "--bare", served.resolve("job.git").toString());
    Shell.git(work, "init", "-q", "-b", "main");
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    Process daemon = Shell.start(List.of("git", "daemon", "--export-all", "--reuseaddr", "--informative-errors",
            "--listen=127.0.0.1", "--port=" + port, "--base-path=" + served, served.toString()), Map.of(),
        dir.resolve("git-daemon.out"), dir.resolve("git-daemon.err"));
    JobServer server = new JobServer(work, daemon, port);
    server.awaitListening();
    return server;
  }

  /** What the run configuration's repo says. */
  String url() {
    return "git://127.0.0.1:" + port + "/job.git";
  }

  /** Makes {@code script} the job.sh of branch main. */
  void publish(String script) {
    try {
      Path job = work.resolve("job.sh");
      Files.writeString(job, script);
      Files.setPosixFilePermissions(job, PosixFilePermissions.fromString("rwxr-xr-x"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Shell.git(work, "add", "job.sh");
    Shell.git(work, "commit", "-q", "--allow-empty", "-m", "job");
    Shell.git(work, "push", "-q", "--force", work.resolveSibling("served").resolve("job.git").toString(), "main");
  }

  private void awaitListening() {
    Instant end = Instant.now().plus(Duration.ofSeconds(30));
    while (Instant.now().isBefore(end) && daemon.isAlive()) {
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
        return;
      } catch (IOException notYet) {
        try {
          Thread.sleep(100);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
    throw new IllegalStateException("git daemon did not listen on 127.0.0.1:" + port);
  }

  @Override
  public void close() {
    daemon.descendants().forEach(ProcessHandle::destroyForcibly);
    daemon.destroyForcibly();
  }
}
