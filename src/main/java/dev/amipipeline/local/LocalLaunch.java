package dev.amipipeline.local;

import dev.amipipeline.aws.AwsClients;
import dev.amipipeline.common.AmiException;
import dev.amipipeline.launch.Ec2Launch;
import dev.amipipeline.launch.JobLogFollower;
import dev.amipipeline.launch.JobResult;
import dev.amipipeline.launch.LaunchPlan;
import dev.amipipeline.launch.LaunchReport;
import dev.amipipeline.launch.LaunchedInstance;
import dev.amipipeline.launch.S3JobFiles;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import software.amazon.awssdk.services.ec2.model.InstanceAttributeName;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * {@code ami launch --local}: the same RunInstances as any launch, against the emulator, then the
 * instance booted for real on this machine ({@link LocalInstance}) and its job followed through the
 * emulator's S3 as {@code --follow} does on AWS. When the container powers off, the emulator's
 * instance is terminated too, as EC2 does for an instance whose shutdown behaviour is terminate.
 */
public final class LocalLaunch {

  /** How long the instance gets to power itself off after its job reported. */
  private static final Duration POWER_OFF = Duration.ofSeconds(60);

  private final AwsClients aws;
  private final LocalPaths paths;
  private final PrintWriter progress;
  private final Clock clock;

  public LocalLaunch(AwsClients aws, LocalPaths paths, PrintWriter progress, Clock clock) {
    this.aws = aws;
    this.paths = paths;
    this.progress = progress;
    this.clock = clock;
  }

  /** What can be wrong in the emulator or the image store before anything is launched: exit 2, nothing changed. */
  public void check(LaunchPlan plan, String logUri) {
    if (logUri == null || !logUri.startsWith("s3://")) {
      throw new AmiException.BadInput("the run configuration's logUri '" + logUri + "' is not an s3:// URI");
    }
    String bucket = bucketOf(logUri);
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

  /** The same launch as on AWS (RunInstances with the one line of user-data), against the emulator. */
  public LaunchReport launch(LaunchPlan plan, Long amiVersion) {
    Ec2Launch ec2 = new Ec2Launch(aws.ec2(), this::say);
    Ec2Launch.Launched launched = ec2.single(plan);
    List<LaunchedInstance> instances = ec2.waitRunning(
        launched.instances().stream().map(LaunchedInstance::instanceId).toList());
    return new LaunchReport(plan.project(), plan.amiId(), amiVersion, null, 1, instances, launched.notes(), List.of(),
        null);
  }

  /**
   * Boots the launched instance here and follows its job until it has reported and powered off.
   * {@code jobLines} gets each line of the job's log as it reaches S3; {@code poll} is how often S3
   * is read while the instance runs. The emulator's instance is terminated in every case.
   */
  public JobResult runJob(LaunchReport launched, String logUri, LocalInstance.Settings settings,
      Consumer<String> jobLines, Duration poll) {
    String instanceId = launched.instanceIds().get(0);
    try {
      String userData = userData(instanceId);
      say("booting " + instanceId + " from the local image of " + launched.amiId() + " (user-data: "
          + (userData == null ? "none" : userData.strip()) + ")");
      try (LocalInstance instance = LocalInstance.boot(paths,
          new LocalInstance.Identity(instanceId, launched.amiId(), aws.region().id(), userData), settings, clock,
          progress)) {
        S3JobFiles files = new S3JobFiles(aws.s3(aws.region()), logUri, launched.project(), instanceId,
            instance::state);
        say("metadata service for " + instanceId + " on " + instance.metadataEndpoint());
        JobResult job = new JobLogFollower(files, jobLines, this::say, clock).follow(instanceId, poll, instance::awaitPowerOff);
        if (job.exitStatus() == null) {
          say(instanceId + " ended without an exit status; the last lines of its first-boot.log:");
          instance.firstBootLogTail().forEach(l -> say("  " + l));
        } else if (!instance.awaitPowerOff(POWER_OFF)) {
          say(instanceId + " reported its job but did not power off (terminateOnExit false?): halting it, since a"
              + " local instance ends with this command");
        }
        instance.halt();
        say(instanceId + " is down (systemd-nspawn exit " + instance.exitCode().orElse(-1)
            + "); terminating it in the emulator, as EC2 does after a power-off");
        return job;
      }
    } finally {
      aws.ec2().terminateInstances(b -> b.instanceIds(instanceId));
    }
  }

  /** The user-data as the emulator holds it for the instance (the one line of the contract). */
  private String userData(String instanceId) {
    String encoded = aws.ec2().describeInstanceAttribute(b -> b.instanceId(instanceId)
        .attribute(InstanceAttributeName.USER_DATA)).userData().value();
    return encoded == null ? null : new String(Base64.getDecoder().decode(encoded), StandardCharsets.UTF_8);
  }

  /** AWS_ENDPOINT_URL and this command's credentials, for the instance side in place of a profile. */
  public static Map<String, String> instanceAwsEnvironment(AwsClients aws) {
    Map<String, String> env = new LinkedHashMap<>(aws.childEnvironment(aws.region()));
    env.remove("AWS_REGION"); // the instance reads its region from the metadata service
    env.remove("AWS_DEFAULT_REGION");
    return env;
  }

  private static String bucketOf(String logUri) {
    String path = logUri.substring("s3://".length());
    int slash = path.indexOf('/');
    return slash < 0 ? path : path.substring(0, slash);
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
