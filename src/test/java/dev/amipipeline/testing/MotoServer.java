package dev.amipipeline.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A real moto_server (AWS API emulator) on 127.0.0.1 and a free port, owned by one test class.
 * Tests talk to it through the product's own client factory via --endpoint-url.
 */
public final class MotoServer implements AutoCloseable {

  public static final String REGION = "us-east-1";
  public static final String ACCESS_KEY = "testing";
  public static final String SECRET_KEY = "testing";

  private final Process process;
  private final int port;
  private final Path log;

  private MotoServer(Process process, int port, Path log) {
    this.process = process;
    this.port = port;
    this.log = log;
  }

  public static MotoServer start() {
    try {
      Path log = Files.createTempFile("moto-", ".log");
      for (int attempt = 0; attempt < 3; attempt++) {
        int port = freePort();
        ProcessBuilder pb = new ProcessBuilder(motoCommand(), "-H", "127.0.0.1", "-p", String.valueOf(port))
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
        pb.environment().put("MOTO_ALLOW_NONEXISTENT_REGION", "false");
        Process p = pb.start();
        MotoServer server = new MotoServer(p, port, log);
        if (server.awaitReady(Duration.ofSeconds(30))) {
          return server;
        }
        server.close(); // the port was taken between probe and bind: try another
      }
      throw new IllegalStateException("moto_server did not start; see " + log);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String motoCommand() {
    String explicit = System.getenv("MOTO_SERVER");
    return explicit != null ? explicit : "moto_server";
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private boolean awaitReady(Duration timeout) {
    Instant end = Instant.now().plus(timeout);
    while (Instant.now().isBefore(end) && process.isAlive()) {
      try {
        if (request("GET", "/moto-api/") == 200) {
          return true;
        }
      } catch (IOException notYet) {
        // not listening yet
      }
      sleep(100);
    }
    return false;
  }

  public int port() {
    return port;
  }

  public URI endpoint() {
    return URI.create("http://127.0.0.1:" + port);
  }

  /** Forgets every resource: each test starts from moto's initial state. */
  public void reset() {
    try {
      int code = request("POST", "/moto-api/reset");
      if (code != 200) {
        throw new IllegalStateException("moto reset answered " + code);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Environment for a child process (scripts, the AWS CLI, the jar) pointed at this server. */
  public Map<String, String> environment() {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("AWS_ENDPOINT_URL", endpoint().toString());
    env.put("AWS_ACCESS_KEY_ID", ACCESS_KEY);
    env.put("AWS_SECRET_ACCESS_KEY", SECRET_KEY);
    env.put("AWS_REGION", REGION);
    env.put("AWS_DEFAULT_REGION", REGION);
    env.put("AWS_EC2_METADATA_DISABLED", "true");
    return env;
  }

  private int request(String method, String path) throws IOException {
    HttpURLConnection c = (HttpURLConnection) endpoint().resolve(path).toURL().openConnection();
    c.setRequestMethod(method);
    c.setConnectTimeout(1000);
    c.setReadTimeout(10_000);
    if (method.equals("POST")) {
      c.setDoOutput(true);
      c.getOutputStream().close();
    }
    int code = c.getResponseCode();
    c.disconnect();
    return code;
  }

  @Override
  public void close() {
    Shell.stop(process);
    // moto_server may run behind a launcher script: end its children too.
    process.descendants().forEach(ProcessHandle::destroyForcibly);
  }

  public Path log() {
    return log;
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
