package dev.amipipeline.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.util.LinkedHashMap;
import java.util.Map;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.iam.IamClient;
import software.amazon.awssdk.services.iam.model.AccessKey;

/**
 * IAM users in a moto_server, one per policy document of scripts/iam/, and moto's IAM enforcement
 * switched on and off (the {@code INITIAL_NO_AUTH_ACTION_COUNT} setting, through moto's
 * {@code /moto-api/reset-auth}: 0 enforces from the next request on).
 *
 * <p>What moto 5.2.1 enforces, read from its source and checked by these tests: the action of
 * every request, for every service; the resource only for S3 (bucket and object ARNs) — for EC2, SSM
 * and the rest it compares the statement's Resource with "*", so a statement scoped to ARNs never
 * matches; and of conditions only StringEquals, only on trust policies (others pass). So {@link
 * #forMoto} widens the Resource of every non-S3 statement to "*": the emulator then proves the
 * action lists and the S3 scoping, and PolicyDocumentTest checks the ARNs themselves.
 */
public final class IamUsers implements AutoCloseable {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final MotoServer moto;
  private final IamClient iam;

  public IamUsers(MotoServer moto) {
    this.moto = moto;
    // Tests only: the product never calls IAM, so its client factory has no IAM client.
    this.iam = IamClient.builder().endpointOverride(moto.endpoint()).region(Region.AWS_GLOBAL)
        .httpClient(UrlConnectionHttpClient.create())
        .credentialsProvider(StaticCredentialsProvider.create(
            AwsBasicCredentials.create(MotoServer.ACCESS_KEY, MotoServer.SECRET_KEY)))
        .build();
  }

  /** scripts/iam/{@code role}.json with each placeholder replaced. */
  public static String policy(String role, Map<String, String> placeholders) {
    try {
      String text = Files.readString(Shell.REPO.resolve("scripts/iam/" + role + ".json"));
      for (Map.Entry<String, String> p : placeholders.entrySet()) {
        text = text.replace(p.getKey(), p.getValue());
      }
      return text;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The policy as moto can check it: non-S3 statements apply to "*" (see the class comment). */
  public static String forMoto(String policy) {
    try {
      ObjectNode doc = (ObjectNode) JSON.readTree(policy);
      for (JsonNode statement : doc.path("Statement")) {
        JsonNode actions = statement.path("Action");
        boolean s3Only = actions.isArray() ? allS3((ArrayNode) actions) : actions.asText().startsWith("s3:");
        if (!s3Only) {
          ((ObjectNode) statement).put("Resource", "*");
        }
      }
      return JSON.writeValueAsString(doc);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static boolean allS3(ArrayNode actions) {
    for (JsonNode a : actions) {
      if (!a.asText().startsWith("s3:")) {
        return false;
      }
    }
    return true;
  }

  /**
   * A user {@code name} whose only permissions are {@code policy} (as moto can check it); returns the
   * environment of a child process acting as that user against this moto_server.
   */
  public Map<String, String> user(String name, String policy) {
    iam.createUser(b -> b.userName(name));
    iam.putUserPolicy(b -> b.userName(name).policyName(name).policyDocument(forMoto(policy)));
    AccessKey key = iam.createAccessKey(b -> b.userName(name)).accessKey();
    Map<String, String> env = new LinkedHashMap<>(moto.environment());
    env.put("AWS_ACCESS_KEY_ID", key.accessKeyId());
    env.put("AWS_SECRET_ACCESS_KEY", key.secretAccessKey());
    return env;
  }

  /** From the next request on, every request must be signed by a user whose policy allows it. */
  public void enforce() {
    resetAuth("0");
  }

  /** Back to moto's default: nothing checked (the test's own checks use the dummy credentials). */
  public void relax() {
    resetAuth("inf");
  }

  private void resetAuth(String count) {
    try {
      HttpResponse<String> r = HttpClient.newHttpClient().send(
          HttpRequest.newBuilder(URI.create(moto.endpoint() + "/moto-api/reset-auth"))
              .header("Content-Type", "text/plain").POST(HttpRequest.BodyPublishers.ofString(count)).build(),
          HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() != 200) {
        throw new IllegalStateException("moto reset-auth answered " + r.statusCode() + ": " + r.body());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    relax();
    iam.close();
  }
}
