package dev.amipipeline.project;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The JSON shape of {@code packer/projects/<name>.json}. Absent optional fields take their defaults
 * here; {@link ProjectValidator} then checks every value and names the field that is wrong.
 */
public record ProjectSpec(
    String description, Bake bake, Launch launch, Run run, List<String> regions, Integer keep) {

  public static final int DEFAULT_KEEP = 3;

  public ProjectSpec {
    regions = regions == null ? List.of() : List.copyOf(regions);
    keep = keep == null ? DEFAULT_KEEP : keep;
  }

  /** What goes into the image. */
  public record Bake(
      BaseImage baseImage,
      String instanceType,
      String sshUsername,
      Volume rootVolume,
      Boolean git,
      Integer jdk,
      Boolean nvidiaDriver,
      List<String> packages,
      Boolean encryptBoot) {

    public Bake {
      instanceType = instanceType == null ? "t3.medium" : instanceType;
      sshUsername = sshUsername == null ? "ubuntu" : sshUsername;
      rootVolume = rootVolume == null ? new Volume(null, null, null, null) : rootVolume;
      git = git == null || git;
      jdk = jdk == null ? 17 : jdk;
      nvidiaDriver = nvidiaDriver != null && nvidiaDriver;
      packages = packages == null ? List.of() : List.copyOf(packages);
      encryptBoot = encryptBoot == null || encryptBoot;
    }
  }

  /**
   * The image to start from: either a fixed {@code amiId}, or the newest image of {@code owners}
   * whose name matches the {@code name} pattern (wildcards as in EC2's name filter).
   */
  public record BaseImage(String amiId, List<String> owners, String name, String architecture) {
    public BaseImage {
      owners = owners == null ? List.of() : List.copyOf(owners);
      architecture = architecture == null ? "x86_64" : architecture;
    }

    public boolean isFilter() {
      return amiId == null;
    }
  }

  /** An EBS volume's size and kind. Zero or absent size means "the image's own". */
  public record Volume(Integer sizeGiB, String type, Integer iops, Integer throughput) {
    public Volume {
      type = type == null ? "gp3" : type;
    }
  }

  /** A data volume attached at launch. */
  public record ExtraVolume(String device, Integer sizeGiB, String type, Boolean deleteOnTermination) {
    public ExtraVolume {
      type = type == null ? "gp3" : type;
      deleteOnTermination = deleteOnTermination == null || deleteOnTermination;
    }
  }

  /**
   * How instances start. Instance types and subnets are in order of preference; {@code gpus} (a
   * {@link GpuSpec}) lets the type chooser pick the types instead.
   *
   * @param recover launches recover from spot interruptions by default (EC2 Fleet replaces the
   *     capacity); null = they do not unless {@code --recover} asks
   */
  public record Launch(
      List<String> instanceTypes,
      Boolean spot,
      List<String> subnets,
      List<String> securityGroups,
      String iamInstanceProfile,
      String keyName,
      Volume rootVolume,
      List<ExtraVolume> extraVolumes,
      String gpus,
      Recover recover) {

    public Launch {
      instanceTypes = instanceTypes == null ? List.of() : List.copyOf(instanceTypes);
      spot = spot != null && spot;
      subnets = subnets == null ? List.of() : List.copyOf(subnets);
      securityGroups = securityGroups == null ? List.of() : List.copyOf(securityGroups);
      extraVolumes = extraVolumes == null ? List.of() : List.copyOf(extraVolumes);
    }
  }

  /**
   * How a run recovers from spot interruptions.
   *
   * @param maxAttempts how many attempts the run gets in all (the first and its recoveries)
   * @param onDemandAfter from the attempt after this many interruptions on, capacity is on demand; null = never
   */
  public record Recover(Integer maxAttempts, Integer onDemandAfter) {
    public static final int DEFAULT_MAX_ATTEMPTS = 5;

    public Recover {
      maxAttempts = maxAttempts == null ? DEFAULT_MAX_ATTEMPTS : maxAttempts;
    }
  }

  /**
   * What the instance runs at first boot; becomes the SSM run configuration.
   *
   * @param checkpoint where the job keeps its checkpoint, kept in S3 across instances; null = none
   * @param uploadRetryMinutes how long the instance retries its uploads at a normal end
   */
  public record Run(
      String repo,
      String ref,
      String command,
      String user,
      Map<String, String> env,
      String logUri,
      Boolean terminateOnExit,
      Integer timeoutMinutes,
      Checkpoint checkpoint,
      Integer uploadRetryMinutes) {

    public static final int DEFAULT_UPLOAD_RETRY_MINUTES = 5;

    public Run {
      ref = ref == null ? "main" : ref;
      user = user == null ? "root" : user;
      // Not Map.copyOf: a null value must reach the validator ("must be a string"), not fail here.
      env = env == null ? Map.of() : Collections.unmodifiableMap(new TreeMap<>(env));
      terminateOnExit = terminateOnExit == null || terminateOnExit;
      timeoutMinutes = timeoutMinutes == null ? 0 : timeoutMinutes;
      uploadRetryMinutes = uploadRetryMinutes == null ? DEFAULT_UPLOAD_RETRY_MINUTES : uploadRetryMinutes;
    }
  }

  /**
   * The job's checkpoint folder on the instance, restored from S3 before the job and synced up while
   * it runs and when it ends, so a later instance of the run (a recovery, a rerun) continues from it.
   *
   * @param dir an absolute path on the instance
   * @param uri where in S3 (the run's checkpoint is {@code <uri>/<P>/<run-id>/checkpoint/}); null = the logUri
   * @param syncSeconds how often it is synced up while the job runs
   */
  public record Checkpoint(String dir, String uri, Integer syncSeconds) {
    public static final int DEFAULT_SYNC_SECONDS = 300;

    public Checkpoint {
      syncSeconds = syncSeconds == null ? DEFAULT_SYNC_SECONDS : syncSeconds;
    }
  }
}
