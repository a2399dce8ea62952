package dev.amipipeline.local;

import dev.amipipeline.aws.AwsClients;
import dev.amipipeline.aws.Ec2Tags;
import dev.amipipeline.common.AmiException;
import dev.amipipeline.launch.InstanceHost;
import dev.amipipeline.launch.LaunchPlan;
import dev.amipipeline.launch.LaunchReport;
import dev.amipipeline.results.JobLogFollower;
import dev.amipipeline.results.JobResult;
import dev.amipipeline.results.ResultLayout;
import dev.amipipeline.results.S3JobFiles;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.InstanceAttributeName;
import software.amazon.awssdk.services.ec2.model.InstanceMetadataTagsState;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * {@code ami launch --local}: this machine as the {@link InstanceHost}. The launch makes the same
 * RunInstances as any launch, against the emulator; then the instance is booted for real here
 * ({@link LocalInstance}) and its job followed through the emulator's S3 as {@code --follow} does on
 * AWS. When the container powers off, the emulator's instance is terminated too, as EC2 does for an
 * instance whose shutdown behaviour is terminate.
 */
public final class LocalLaunch implements InstanceHost {

  /** How long the instance gets to power itself off after its job reported. */
  private static final Duration POWER_OFF = Duration.ofSeconds(60);
  /** When its log is followed the instance copies it to S3 this often (its default is 60 s). */
  private static final int FOLLOWED_LOG_SYNC_SECONDS = 5;

  private final LocalPaths paths;
  private final PrintWriter progress;
  private final Clock clock;

  public LocalLaunch(LocalPaths paths, PrintWriter progress, Clock clock) {
    this.paths = paths;
    this.progress = progress;
    this.clock = clock;
  }

  @Override
  public void requireReady() {
    LocalHost.require(LocalHost.MACHINE_TOOLS, "ami launch --local");
  }

  @Override
  public void check(AwsClients aws, LaunchPlan plan, String logUri) {
    String bucket = ResultLayout.of(logUri, plan.project()).bucket();
    try {
      aws.s3(aws.region()).headBucket(b -> b.bucket(bucket));
    } catch (NoSuchBucketException e) {
      throw missingBucket(bucket);
    } catch (S3Exception e) {
      if (e.statusCode() == 404) {
        throw missingBucket(bucket);
      }
      throw e;
    }
    if (!new ImageStore(paths.images()).has(plan.amiId())) {
      throw new AmiException.BadInput("no local image of " + plan.amiId() + " in " + paths.images()
          + ": bake it on this machine with 'ami bake --project " + plan.project() + " --local-root'");
    }
  }

  @Override
  public JobResult run(AwsClients aws, LaunchReport launched, Job job, Consumer<String> jobLines) {
    String instanceId = launched.instanceIds().get(0);
    LocalInstance.Settings settings = new LocalInstance.Settings(instanceAwsEnvironment(aws),
        job.followed() ? FOLLOWED_LOG_SYNC_SECONDS : null, job.spotNotice());
    try {
      String userData = userData(aws, instanceId);
      Instance described = aws.ec2().describeInstances(b -> b.instanceIds(instanceId)).reservations().get(0)
          .instances().get(0);
      say("booting " + instanceId + " from the local image of " + launched.amiId() + " (user-data: "
          + (userData == null ? "none" : userData.strip()) + ")");
      try (LocalInstance instance = LocalInstance.boot(paths,
          new LocalInstance.Identity(instanceId, launched.amiId(), aws.region().id(), userData,
              described.instanceTypeAsString(), metadataTags(described)), settings, clock,
          progress)) {
        S3JobFiles files = new S3JobFiles(aws.s3(aws.region()), job.results(), instance::state);
        say("metadata service for " + instanceId + " on " + instance.metadataEndpoint());
        JobResult result = new JobLogFollower(files, jobLines, this::say, clock)
            .follow(instanceId, job.poll(), instance::awaitPowerOff);
        if (result.exitStatus() == null) {
          say(instanceId + " ended without an exit status; the last lines of its first-boot.log:");
          instance.firstBootLogTail().forEach(l -> say("  " + l));
        } else if (!instance.awaitPowerOff(POWER_OFF)) {
          say(instanceId + " reported its job but did not power off (terminateOnExit false?): halting it, since a"
              + " local instance ends with this command");
        }
        instance.halt();
        say(instanceId + " is down (systemd-nspawn exit " + instance.exitCode().orElse(-1)
            + "); terminating it in the emulator, as EC2 does after a power-off");
        return result;
      }
    } finally {
      aws.ec2().terminateInstances(b -> b.instanceIds(instanceId));
    }
  }

  /** The tags the metadata service serves: none unless the instance was launched with metadata tags enabled. */
  private static Map<String, String> metadataTags(Instance instance) {
    boolean enabled = instance.metadataOptions() != null
        && instance.metadataOptions().instanceMetadataTags() == InstanceMetadataTagsState.ENABLED;
    return enabled ? Ec2Tags.toMap(instance.tags()) : Map.of();
  }

  /** The user-data as the emulator holds it for the instance (the one line of the contract). */
  private static String userData(AwsClients aws, String instanceId) {
    String encoded = aws.ec2().describeInstanceAttribute(b -> b.instanceId(instanceId)
        .attribute(InstanceAttributeName.USER_DATA)).userData().value();
    return encoded == null ? null : new String(Base64.getDecoder().decode(encoded), StandardCharsets.UTF_8);
  }

  /** AWS_ENDPOINT_URL and this command's credentials, for the instance side in place of a profile. */
  private static Map<String, String> instanceAwsEnvironment(AwsClients aws) {
    Map<String, String> env = new LinkedHashMap<>(aws.childEnvironment(aws.region()));
    env.remove("AWS_REGION"); // the instance reads its region from the metadata service
    env.remove("AWS_DEFAULT_REGION");
    return env;
  }

  private static AmiException missingBucket(String bucket) {
    return new AmiException.BadInput("the job's log bucket " + bucket + " does not exist at the endpoint: create it"
        + " (aws s3 mb s3://" + bucket + ")");
  }

  private void say(String line) {
    synchronized (progress) {
      progress.println("ami: " + line);
      progress.flush();
    }
  }
}
