package dev.amipipeline.local;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/**
 * The EC2 instance metadata service as an instance launched with HttpTokens=required sees it, on
 * 127.0.0.1 and a free port: a session token only by PUT with a TTL header, every other request
 * refused (401) without a live token, the instance's identity, type and user-data, its tags (as for
 * an instance launched with InstanceMetadataTags=enabled; they can change while it runs), and a
 * spot interruption notice that can be switched on. The real service exists only on EC2: local
 * instances ({@code ami launch --local}) and the first-boot tests talk to this one.
 */
public final class MetadataService implements AutoCloseable {

  static final String TOKEN_PATH = "/latest/api/token";
  static final String TOKEN_HEADER = "X-aws-ec2-metadata-token";
  static final String TTL_HEADER = "X-aws-ec2-metadata-token-ttl-seconds";
  static final String TAGS_PATH = "/latest/meta-data/tags/instance";

  private final HttpServer server;
  private final Clock clock = Clock.systemUTC();
  private final Map<String, Instant> tokenExpiry = new ConcurrentHashMap<>();
  private final AtomicInteger tokensIssued = new AtomicInteger();
  private final AtomicInteger refusedRequests = new AtomicInteger();
  private final AtomicInteger spotNoticesServed = new AtomicInteger();

  private volatile String userData;
  private volatile Duration maxTokenLifetime = Duration.ofHours(6);
  private volatile BooleanSupplier spotNotice = () -> false;
  private volatile String spotAction = "terminate";
  /** The instance profile's role name and its credentials document; null: no role. */
  private volatile String role;
  private volatile String roleCredentials;
  private volatile String instanceType;
  private volatile String localIpv4;
  private volatile String market;
  /** Instance tags in the order they were first set. */
  private final Map<String, String> tags = Collections.synchronizedMap(new LinkedHashMap<>());
  private final String instanceId;
  private final String region;
  private final String amiId;

  private MetadataService(HttpServer server, String instanceId, String region, String amiId) {
    this.server = server;
    this.instanceId = instanceId;
    this.region = region;
    this.amiId = amiId;
  }

  public static MetadataService start(String instanceId, String region, String amiId) {
    try {
      HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
      MetadataService imds = new MetadataService(server, instanceId, region, amiId);
      server.createContext("/", imds::handle);
      server.start();
      return imds;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public URI endpoint() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }

  /** The instance's user-data; null means the instance has none (404). */
  public void userData(String text) {
    this.userData = text;
  }

  /** Tokens live at most this long, whatever TTL was asked for (as if their TTL ran out). */
  public void maxTokenLifetime(Duration lifetime) {
    this.maxTokenLifetime = lifetime;
  }

  /** From the moment {@code condition} holds, spot/instance-action answers with a notice. */
  public void spotNoticeWhen(BooleanSupplier condition) {
    this.spotNotice = condition;
  }

  /** What the notice says EC2 will do: terminate (one-time requests), stop or hibernate. */
  public void spotAction(String action) {
    this.spotAction = action;
  }

  /**
   * Gives the instance an IAM role: its name under iam/security-credentials/ and a credentials
   * document as EC2 serves it (what the AWS CLI and first-boot sign with when the environment has no
   * keys).
   */
  public void instanceRole(String name, String accessKeyId, String secretAccessKey, String sessionToken) {
    this.roleCredentials = "{\"Code\": \"Success\", \"Type\": \"AWS-HMAC\", \"AccessKeyId\": \"" + accessKeyId
        + "\", \"SecretAccessKey\": \"" + secretAccessKey + "\", \"Token\": \"" + sessionToken
        + "\", \"Expiration\": \"" + clock.instant().plus(Duration.ofHours(6)) + "\"}";
    this.role = name;
  }

  /** The instance type at meta-data/instance-type; null (the default): 404. */
  public void instanceType(String type) {
    this.instanceType = type;
  }

  /** {@code spot} or {@code on-demand} at meta-data/instance-life-cycle; null (the default): 404. */
  public void market(String market) {
    this.market = market;
  }

  /** The instance's private IPv4 at meta-data/local-ipv4; null (the default): 404. */
  public void localIpv4(String address) {
    this.localIpv4 = address;
  }

  /**
   * Sets an instance tag, or removes it when {@code value} is null: from the next request on,
   * tags/instance lists its key and tags/instance/KEY answers its value (404 once it is gone).
   */
  public void tag(String key, String value) {
    if (value == null) {
      tags.remove(key);
    } else {
      tags.put(key, value);
    }
  }

  /** Replaces every instance tag with {@code tags} (in their order), as {@link #tag} does one by one. */
  public void tags(Map<String, String> tags) {
    synchronized (this.tags) {
      this.tags.clear();
      this.tags.putAll(tags);
    }
  }

  public int tokensIssued() {
    return tokensIssued.get();
  }

  /** Requests other than the token PUT that came without a live token and were refused. */
  public int refusedRequests() {
    return refusedRequests.get();
  }

  public int spotNoticesServed() {
    return spotNoticesServed.get();
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      String path = exchange.getRequestURI().getPath();
      if (path.equals(TOKEN_PATH)) {
        issueToken(exchange);
        return;
      }
      String token = exchange.getRequestHeaders().getFirst(TOKEN_HEADER);
      Instant expiry = token == null ? null : tokenExpiry.get(token);
      if (expiry == null || !clock.instant().isBefore(expiry)) {
        refusedRequests.incrementAndGet();
        respond(exchange, 401, "");
        return;
      }
      if (!exchange.getRequestMethod().equals("GET")) {
        respond(exchange, 405, "");
        return;
      }
      String body = switch (path) {
        case "/latest/user-data" -> userData;
        case "/latest/meta-data/instance-id" -> instanceId;
        case "/latest/meta-data/placement/region" -> region;
        case "/latest/meta-data/ami-id" -> amiId;
        case "/latest/meta-data/instance-type" -> instanceType;
        case "/latest/meta-data/local-ipv4" -> localIpv4;
        case "/latest/meta-data/instance-life-cycle" -> market;
        case TAGS_PATH, TAGS_PATH + "/" -> tagKeys();
        case "/latest/meta-data/spot/instance-action" -> spotNotice.getAsBoolean() ? servedNotice() : null;
        case "/latest/meta-data/iam/security-credentials/" -> role;
        default -> path.startsWith(TAGS_PATH + "/") ? tags.get(path.substring(TAGS_PATH.length() + 1))
            : role != null && path.equals("/latest/meta-data/iam/security-credentials/" + role) ? roleCredentials
            : null;
      };
      if (body == null) {
        respond(exchange, 404, "Not Found");
      } else {
        respond(exchange, 200, body);
      }
    }
  }

  /** The tag keys, one a line; null (404) when the instance has none. */
  private String tagKeys() {
    synchronized (tags) {
      return tags.isEmpty() ? null : String.join("\n", tags.keySet());
    }
  }

  private String servedNotice() {
    spotNoticesServed.incrementAndGet();
    return "{\"action\": \"" + spotAction + "\", \"time\": \"2030-01-01T00:00:00Z\"}";
  }

  private void issueToken(HttpExchange exchange) throws IOException {
    if (!exchange.getRequestMethod().equals("PUT")) {
      respond(exchange, 405, "");
      return;
    }
    String ttl = exchange.getRequestHeaders().getFirst(TTL_HEADER);
    long seconds;
    try {
      seconds = Long.parseLong(ttl == null ? "" : ttl.trim());
    } catch (NumberFormatException e) {
      respond(exchange, 400, "");
      return;
    }
    if (seconds < 1 || seconds > 21600) {
      respond(exchange, 400, "");
      return;
    }
    Duration lifetime = Duration.ofSeconds(seconds);
    if (lifetime.compareTo(maxTokenLifetime) > 0) {
      lifetime = maxTokenLifetime;
    }
    String token = "token-" + UUID.randomUUID();
    tokenExpiry.put(token, clock.instant().plus(lifetime));
    tokensIssued.incrementAndGet();
    respond(exchange, 200, token);
  }

  private static void respond(HttpExchange exchange, int status, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "text/plain");
    exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
    if (bytes.length > 0) {
      exchange.getResponseBody().write(bytes);
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
