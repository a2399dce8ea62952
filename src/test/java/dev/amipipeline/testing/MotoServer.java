package dev.amipipeline.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

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
  private final Path recording;

  private MotoServer(Process process, int port, Path log, Path recording) {
    this.process = process;
    this.port = port;
    this.log = log;
    this.recording = recording;
  }

  public static MotoServer start() {
    try {
      Path log = Files.createTempFile("moto-", ".log");
      Path recording = Files.createTempFile("moto-requests-", ".jsonl");
      for (int attempt = 0; attempt < 3; attempt++) {
        int port = freePort();
        ProcessBuilder pb = new ProcessBuilder(motoCommand(), "-H", "127.0.0.1", "-p", String.valueOf(port))
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
        pb.environment().put("MOTO_ALLOW_NONEXISTENT_REGION", "false");
        pb.environment().put("MOTO_RECORDER_FILEPATH", recording.toString());
        Process p = pb.start();
        MotoServer server = new MotoServer(p, port, log, recording);
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
    post("/moto-api/reset");
  }

  /** Starts counting requests afresh (moto's request recorder); see {@link #recordedActions()}. */
  public void startRecording() {
    post("/moto-api/recorder/reset-recording");
    post("/moto-api/recorder/start-recording");
  }

  /**
   * Stops recording and returns the API action of every request since {@link #startRecording()}, in
   * order: {@code DescribeImages} for query APIs, {@code GetParameterHistory} for JSON APIs, else
   * {@code METHOD /path} (REST APIs such as the EBS direct API).
   */
  public List<String> recordedActions() {
    post("/moto-api/recorder/stop-recording");
    try {
      List<String> actions = new ArrayList<>();
      for (String line : Files.readAllLines(recording)) {
        if (!line.isBlank()) {
          actions.add(action(JSON.readTree(line)));
        }
      }
      return actions;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern QUERY_ACTION = Pattern.compile("(?:^|&)Action=([A-Za-z0-9]+)");

  private static String action(JsonNode request) {
    JsonNode target = request.path("headers").path("X-Amz-Target");
    if (target.isTextual()) {
      String t = target.asText();
      return t.substring(t.lastIndexOf('.') + 1);
    }
    String body = request.path("body").asText("");
    if (request.path("body_encoded").asBoolean(false)) {
      body = new String(Base64.getDecoder().decode(body), StandardCharsets.UTF_8);
    }
    Matcher m = QUERY_ACTION.matcher(body);
    if (m.find()) {
      return m.group(1);
    }
    return request.path("method").asText() + " " + URI.create(request.path("url").asText()).getPath();
  }

  private void post(String path) {
    try {
      int code = request("POST", path);
      if (code != 200) {
        throw new IllegalStateException("moto " + path + " answered " + code);
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
    process.destroy();
    try {
      if (!process.waitFor(5, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    // moto_server may run behind a launcher script: end its children too.
    process.descendants().forEach(ProcessHandle::destroyForcibly);
    try {
      Files.deleteIfExists(recording);
    } catch (IOException ignored) {
      // a temp file; the OS cleans it up
    }
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
