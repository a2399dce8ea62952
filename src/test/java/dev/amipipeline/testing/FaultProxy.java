package dev.amipipeline.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * scripts/lib/aws-proxy.py on a free loopback port in front of one test's moto_server: it counts
 * requests per action and per resource, records chosen requests, and injects faults on the wire
 * (throttling answers, resets, lost answers, answers held while the client is killed, EC2 errors for
 * chosen requests).
 */
public final class FaultProxy implements AutoCloseable {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private final Process process;
  private final URI endpoint;

  private FaultProxy(Process process, URI endpoint) {
    this.process = process;
    this.endpoint = endpoint;
  }

  /** Starts the proxy in front of {@code upstream}; {@code seed} makes its fault choices repeatable. */
  public static FaultProxy start(URI upstream, long seed) {
    try {
      Path dir = Files.createTempDirectory("aws-proxy");
      Path portFile = dir.resolve("port");
      Process p = new ProcessBuilder("python3", Shell.REPO.resolve("scripts/lib/aws-proxy.py").toString(),
          "--upstream", upstream.toString(), "--port", "0", "--port-file", portFile.toString(),
          "--seed", Long.toString(seed))
          .redirectErrorStream(true).redirectOutput(dir.resolve("proxy.log").toFile()).start();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (!Files.exists(portFile)) {
        if (!p.isAlive() || System.nanoTime() > deadline) {
          p.destroyForcibly();
          throw new IllegalStateException("aws-proxy.py did not start; see " + dir.resolve("proxy.log"));
        }
        Thread.sleep(50);
      }
      int port = Integer.parseInt(Files.readString(portFile).strip());
      return new FaultProxy(p, URI.create("http://127.0.0.1:" + port));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Where clients send their AWS calls. */
  public URI endpoint() {
    return endpoint;
  }

  /** {@link MotoServer#environment()} with the endpoint pointed at this proxy, for child processes. */
  public Map<String, String> environment(MotoServer moto) {
    Map<String, String> env = new LinkedHashMap<>(moto.environment());
    env.put("AWS_ENDPOINT_URL", endpoint.toString());
    return env;
  }

  /** Changes the faults and recording; see the keys in aws-proxy.py's header. */
  public void configure(Map<String, ?> settings) {
    control("POST", "/__proxy/config", JSON.valueToTree(settings).toString());
  }

  /** No faults, nothing held or denied; counters and recordings kept. */
  public void calm() {
    Map<String, Object> calm = new LinkedHashMap<>();
    calm.put("fail_rate", 0);
    calm.put("reset_rate", 0);
    calm.put("lost_rate", 0);
    calm.put("agent_rates", Map.of());
    calm.put("hold_after", null);
    calm.put("deny", List.of());
    configure(calm);
  }

  /** Zeroes the counters and forgets recorded requests. */
  public void resetCounters() {
    control("POST", "/__proxy/reset", "{}");
  }

  public JsonNode stats() {
    return read(control("GET", "/__proxy/stats", null));
  }

  /** The recorded requests (of the actions named in {@code record_actions}), oldest first. */
  public List<JsonNode> requests() {
    List<JsonNode> list = new ArrayList<>();
    read(control("GET", "/__proxy/requests", null)).forEach(list::add);
    return list;
  }

  private String control(String method, String path, String body) {
    HttpRequest.Builder b = HttpRequest.newBuilder(endpoint.resolve(path)).timeout(Duration.ofSeconds(10));
    b = body == null ? b.GET() : b.method(method, HttpRequest.BodyPublishers.ofString(body));
    try {
      HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() != 200) {
        throw new IllegalStateException(method + " " + path + " answered " + r.statusCode() + ": " + r.body());
      }
      return r.body();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static JsonNode read(String json) {
    try {
      return JSON.readTree(json);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    Shell.stop(process);
  }
}
