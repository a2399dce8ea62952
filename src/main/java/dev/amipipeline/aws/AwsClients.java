package dev.amipipeline.aws;

import dev.amipipeline.common.AmiException;
import dev.amipipeline.common.Concurrently;
import dev.amipipeline.common.Lines;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.ProfileCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.client.builder.AwsClientBuilder;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.SdkSystemSetting;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.retry.RetryMode;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.profiles.ProfileFile;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.regions.providers.AwsProfileRegionProvider;
import software.amazon.awssdk.regions.providers.AwsRegionProviderChain;
import software.amazon.awssdk.regions.providers.SystemSettingsRegionProvider;
import software.amazon.awssdk.retries.api.RetryStrategy;
import software.amazon.awssdk.services.ebs.EbsClient;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.ssm.SsmClient;
import software.amazon.awssdk.services.sts.StsClient;
import software.amazon.awssdk.utils.SdkAutoCloseable;

/**
 * The one place that builds AWS SDK clients. Every client shares the region resolution, the
 * credentials, the endpoint override (only when one is given), the HTTP client and the retry policy
 * (adaptive, so throttling slows us down instead of failing us). Clients are made on first use, one
 * per service and region, and closed together.
 */
public final class AwsClients implements AutoCloseable {

  /** Attempts per call unless AWS_MAX_ATTEMPTS / aws.maxAttempts says otherwise. */
  static final int DEFAULT_MAX_ATTEMPTS = 10;

  /**
   * The longest one call may take, retries and backoff included. Ten throttled attempts with
   * backoff can take a minute or two and an endpoint that accepts but never answers a minute per
   * attempt; past this bound the command gives up with one clear line instead of stalling.
   */
  public static final Duration API_CALL_TIMEOUT = Duration.ofSeconds(45);

  private final Region region;
  private final URI endpoint;
  private final AwsCredentialsProvider credentials;
  /** A fresh strategy per client: each adaptive strategy carries its own client-side rate limiter. */
  private final Supplier<RetryStrategy> retryStrategies;
  private final SdkHttpClient http;
  private final Map<String, SdkAutoCloseable> clients = new ConcurrentHashMap<>();

  private AwsClients(Region region, URI endpoint, AwsCredentialsProvider credentials,
      Supplier<RetryStrategy> retryStrategies) {
    this.region = region;
    this.endpoint = endpoint;
    this.credentials = credentials;
    this.retryStrategies = retryStrategies;
    this.http = UrlConnectionHttpClient.builder()
        .connectionTimeout(Duration.ofSeconds(10))
        .socketTimeout(Duration.ofSeconds(60))
        .build();
  }

  /**
   * Resolves region and credentials now, so a missing one is a clear usage error (exit 2) before
   * anything is sent.
   */
  public static AwsClients create(AwsSettings settings) {
    Supplier<ProfileFile> profiles = ProfileFile::defaultProfileFile;
    String profile = settings.profile();
    Region region = resolveRegion(settings.region(), profiles, profile);
    AwsCredentialsProvider provider = profile == null
        ? DefaultCredentialsProvider.builder().build()
        : ProfileCredentialsProvider.builder().profileName(profile).build();
    try {
      provider.resolveCredentials();
    } catch (SdkClientException | IllegalArgumentException | IllegalStateException e) {
      throw new AmiException.BadInput(profile == null
          ? "no AWS credentials found: set AWS_PROFILE (or --profile), or AWS_ACCESS_KEY_ID and"
              + " AWS_SECRET_ACCESS_KEY, or run 'aws configure'"
          : "no usable AWS credentials in profile '" + profile + "': " + Lines.first(e.getMessage()), e);
    }
    RetryMode mode = RetryMode.resolver().profileFile(profiles).profileName(profile)
        .defaultRetryMode(RetryMode.ADAPTIVE_V2).resolve();
    int attempts = SdkSystemSetting.AWS_MAX_ATTEMPTS.getIntegerValue().orElse(DEFAULT_MAX_ATTEMPTS);
    return new AwsClients(region, settings.endpoint(), provider,
        () -> AwsRetryStrategy.forRetryMode(mode).toBuilder().maxAttempts(attempts).build());
  }

  private static Region resolveRegion(String given, Supplier<ProfileFile> profiles, String profile) {
    if (given != null && !given.isBlank()) {
      return checkRegion(given);
    }
    try {
      // Deliberately not the default chain: it would ask the instance metadata service.
      Region found = new AwsRegionProviderChain(
          new SystemSettingsRegionProvider(), new AwsProfileRegionProvider(profiles, profile)).getRegion();
      return checkRegion(found.id());
    } catch (SdkClientException e) {
      throw new AmiException.BadInput(
          "no AWS region: pass --region, set AWS_REGION, or set a region in your AWS profile");
    }
  }

  private static Region checkRegion(String id) {
    Region r = Region.of(id);
    if (!Region.regions().contains(r)) {
      throw new AmiException.BadInput("region '" + id + "' is not a known AWS region, e.g. us-east-1");
    }
    return r;
  }

  /** The region commands work in unless a project names others. */
  public Region region() {
    return region;
  }

  /** The endpoint override, also handed to Packer as custom_endpoint_ec2. */
  public Optional<URI> endpoint() {
    return Optional.ofNullable(endpoint);
  }

  /** The resolved credentials, for child processes (Packer, the AWS CLI) that need the same. */
  public AwsCredentials credentials() {
    return credentials.resolveCredentials();
  }

  /** Environment variables that give a child process the same identity, region and endpoint. */
  public Map<String, String> childEnvironment(Region forRegion) {
    AwsCredentials c = credentials();
    Map<String, String> env = new java.util.LinkedHashMap<>();
    env.put("AWS_ACCESS_KEY_ID", c.accessKeyId());
    env.put("AWS_SECRET_ACCESS_KEY", c.secretAccessKey());
    if (c instanceof AwsSessionCredentials session) {
      env.put("AWS_SESSION_TOKEN", session.sessionToken());
    }
    env.put("AWS_REGION", forRegion.id());
    env.put("AWS_DEFAULT_REGION", forRegion.id());
    endpoint().ifPresent(uri -> env.put("AWS_ENDPOINT_URL", uri.toString()));
    return env;
  }

  public Ec2Client ec2() {
    return ec2(region);
  }

  public Ec2Client ec2(Region r) {
    return ec2(r, "default");
  }

  /**
   * An EC2 client of its own for one kind of call. EC2 throttles each API with its own token bucket,
   * and the adaptive retry strategy slows a client down by what it measures; a lane per API (e.g.
   * DeregisterImage, DeleteSnapshot) lets each use its own limit instead of the slower of the two.
   */
  public Ec2Client ec2(Region r, String lane) {
    return client("ec2-" + lane, r, () -> configure(Ec2Client.builder(), r).build());
  }

  /**
   * An EC2 client that tries each call once: for optional calls whose failure only costs a note
   * (e.g. image deprecation, which some endpoints do not implement and answer with a retried 500).
   */
  public Ec2Client ec2Once(Region r) {
    return client("ec2-once", r, () -> {
      var builder = configure(Ec2Client.builder(), r);
      return builder.overrideConfiguration(builder.overrideConfiguration().toBuilder()
          .retryStrategy(AwsRetryStrategy.doNotRetry()).build()).build();
    });
  }

  public SsmClient ssm() {
    return ssm(region);
  }

  public SsmClient ssm(Region r) {
    return client("ssm", r, () -> configure(SsmClient.builder(), r).build());
  }

  public EbsClient ebs(Region r) {
    return client("ebs", r, () -> configure(EbsClient.builder(), r).build());
  }

  /**
   * An EBS client that gives up after {@code maxAttempts}, for best-effort reads that have a fallback
   * (e.g. a snapshot's allocated size): such a read must never stall the command behind ten retries.
   */
  public EbsClient ebs(Region r, int maxAttempts) {
    RetryStrategy fewer = retryStrategies.get().toBuilder().maxAttempts(maxAttempts).build();
    return client("ebs-" + maxAttempts, r, () -> configure(EbsClient.builder(), r, fewer).build());
  }

  public S3Client s3(Region r) {
    // Path-style addressing: an endpoint like http://127.0.0.1:5000 has no bucket subdomains.
    return client("s3", r, () -> configure(S3Client.builder(), r).forcePathStyle(endpoint != null).build());
  }

  public StsClient sts() {
    return client("sts", region, () -> configure(StsClient.builder(), region).build());
  }

  private <B extends AwsClientBuilder<B, ?>> B configure(B builder, Region r) {
    return configure(builder, r, retryStrategies.get());
  }

  private <B extends AwsClientBuilder<B, ?>> B configure(B builder, Region r, RetryStrategy retry) {
    builder.region(r)
        .credentialsProvider(credentials)
        .overrideConfiguration(ClientOverrideConfiguration.builder().retryStrategy(retry)
            .apiCallTimeout(API_CALL_TIMEOUT).build());
    if (builder instanceof software.amazon.awssdk.core.client.builder.SdkSyncClientBuilder<?, ?> sync) {
      sync.httpClient(http);
    }
    if (endpoint != null) {
      builder.endpointOverride(endpoint);
    }
    return builder;
  }

  /**
   * Runs the SDK's one-time set-up (class initialisation, endpoint rules, marshalling, signing) on a
   * daemon thread, so it overlaps the command's own start (picocli, project files) instead of
   * preceding its first call. The clients it builds stop each request before it is sent.
   */
  public static void warmUpInBackground() {
    Concurrently.inBackground("aws-warm-up", () -> {
      ClientOverrideConfiguration neverSend = ClientOverrideConfiguration.builder()
          .addExecutionInterceptor(new ExecutionInterceptor() {
            @Override
            public void beforeTransmission(Context.BeforeTransmission context, ExecutionAttributes attributes) {
              throw new WarmedUp();
            }
          })
          .retryStrategy(AwsRetryStrategy.doNotRetry())
          .build();
      AwsCredentialsProvider anyKeys = StaticCredentialsProvider.create(AwsBasicCredentials.create("warm", "up"));
      try (Ec2Client ec2 = Ec2Client.builder().region(Region.US_EAST_1).credentialsProvider(anyKeys)
              .overrideConfiguration(neverSend).build();
          SsmClient ssm = SsmClient.builder().region(Region.US_EAST_1).credentialsProvider(anyKeys)
              .overrideConfiguration(neverSend).build()) {
        ec2.describeImages(b -> b.owners("self"));
        ssm.getParameter(b -> b.name("/warm-up"));
      } catch (WarmedUp | SdkClientException expected) {
        // stopped before sending: the work was the point
      }
      return null;
    });
  }

  /** Thrown by the warm-up clients in place of sending. */
  private static final class WarmedUp extends RuntimeException {
    WarmedUp() {
      super("warm-up request not sent", null, false, false);
    }
  }

  @SuppressWarnings("unchecked")
  private <T extends SdkAutoCloseable> T client(String service, Region r, Supplier<T> make) {
    return (T) clients.computeIfAbsent(service + "/" + r.id(), k -> make.get());
  }

  @Override
  public void close() {
    clients.values().forEach(SdkAutoCloseable::close);
    clients.clear();
    http.close();
  }
}
