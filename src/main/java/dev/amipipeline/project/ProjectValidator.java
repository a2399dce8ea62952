package dev.amipipeline.project;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import software.amazon.awssdk.regions.Region;

/**
 * Checks every value of a {@link ProjectSpec} and reports each problem with its field path
 * ({@code launch.instanceTypes[1]}). Pure: no files, no AWS.
 */
public final class ProjectValidator {

  public static final Pattern AMI_ID = Pattern.compile("^ami-([0-9a-f]{8}|[0-9a-f]{17})$");
  public static final Pattern INSTANCE_TYPE = Pattern.compile("^[a-z][a-z0-9-]*\\.[a-z0-9-]+$");
  public static final Pattern S3_URI =
      Pattern.compile("^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/[^\\s]*)?$");
  public static final Pattern SUBNET = Pattern.compile("^subnet-[0-9a-f]{8,17}$");
  public static final Pattern SECURITY_GROUP = Pattern.compile("^sg-[0-9a-f]{8,17}$");
  private static final Pattern ACCOUNT = Pattern.compile("^(\\d{12}|self|amazon|aws-marketplace)$");
  private static final Pattern UNIX_USER = Pattern.compile("^[a-z_][a-z0-9_-]{0,31}$");
  private static final Pattern ENV_NAME = Pattern.compile("^[A-Za-z_][A-Za-z0-9_]*$");
  private static final Pattern DEVICE = Pattern.compile("^/dev/(sd[b-z]|xvd[b-z])$");
  private static final Pattern PACKAGE = Pattern.compile("^[a-zA-Z0-9][a-zA-Z0-9.+_-]*$");
  private static final Pattern GIT_REF = Pattern.compile("^[A-Za-z0-9._/-]+$");
  /** An absolute path the instance's shell and the AWS CLI take as it is: no spaces, quotes or globs. */
  private static final Pattern ABSOLUTE_PATH = Pattern.compile("^(/[A-Za-z0-9._@+-]+)+/?$");
  /** Seconds between checkpoint syncs: each sync lists the folder and costs S3 requests. */
  public static final int MIN_SYNC_SECONDS = 10;
  private static final Set<String> VOLUME_TYPES = Set.of("gp2", "gp3", "io1", "io2", "st1", "sc1");
  private static final Set<String> ARCHITECTURES = Set.of("x86_64", "arm64");
  private static final Set<String> KNOWN_REGIONS =
      Region.regions().stream().map(Region::id).collect(Collectors.toUnmodifiableSet());

  /** The most a Standard SSM parameter holds; the run configuration is written as one. */
  public static final int RUN_CONFIG_MAX_CHARS = 4096;

  /** One problem: where and what. */
  public record Problem(String path, String message) {
    @Override
    public String toString() {
      return path + ": " + message;
    }
  }

  private final List<Problem> problems = new ArrayList<>();

  private ProjectValidator() {}

  public static List<Problem> validate(ProjectSpec spec) {
    ProjectValidator v = new ProjectValidator();
    v.check(spec);
    return List.copyOf(v.problems);
  }

  public static boolean isKnownRegion(String region) {
    return KNOWN_REGIONS.contains(region);
  }

  private void check(ProjectSpec spec) {
    if (spec.bake() == null) {
      missing("bake");
    } else {
      checkBake(spec.bake());
    }
    if (spec.launch() == null) {
      missing("launch");
    } else {
      checkLaunch(spec.launch());
    }
    if (spec.run() == null) {
      missing("run");
    } else {
      checkRun(spec.run());
    }
    for (int i = 0; i < spec.regions().size(); i++) {
      String r = spec.regions().get(i);
      if (r == null || !KNOWN_REGIONS.contains(r)) {
        problem("regions[" + i + "]", "'" + r + "' is not a known AWS region");
      }
    }
    if (spec.regions().stream().distinct().count() != spec.regions().size()) {
      problem("regions", "lists a region twice");
    }
    if (spec.keep() < 1) {
      problem("keep", "must be at least 1, was " + spec.keep());
    }
  }

  private void checkBake(ProjectSpec.Bake bake) {
    if (bake.baseImage() == null) {
      missing("bake.baseImage");
    } else {
      checkBaseImage(bake.baseImage());
    }
    matches("bake.instanceType", bake.instanceType(), INSTANCE_TYPE, "an instance type like t3.medium");
    matches("bake.sshUsername", bake.sshUsername(), UNIX_USER, "a unix user name");
    checkVolume("bake.rootVolume", bake.rootVolume());
    if (bake.jdk() != 0 && (bake.jdk() < 8 || bake.jdk() > 99)) {
      problem("bake.jdk", "must be a JDK feature release such as 17 or 21 (0 for none), was " + bake.jdk());
    }
    for (int i = 0; i < bake.packages().size(); i++) {
      matches("bake.packages[" + i + "]", bake.packages().get(i), PACKAGE, "a package name");
    }
  }

  private void checkBaseImage(ProjectSpec.BaseImage base) {
    String at = "bake.baseImage";
    if (base.amiId() != null) {
      matches(at + ".amiId", base.amiId(), AMI_ID, "an AMI id like ami-0123456789abcdef0");
      if (!base.owners().isEmpty() || base.name() != null) {
        problem(at, "give either amiId or owners + name, not both");
      }
    } else {
      if (base.owners().isEmpty()) {
        problem(at + ".owners", "missing: give amiId, or owners + name to pick the newest match");
      }
      for (int i = 0; i < base.owners().size(); i++) {
        matches(at + ".owners[" + i + "]", base.owners().get(i), ACCOUNT,
            "a 12-digit account id, self, amazon or aws-marketplace");
      }
      if (base.name() == null || base.name().isBlank()) {
        problem(at + ".name", "missing: the image name pattern, e.g. ubuntu/images/*22.04-amd64-server-*");
      }
    }
    if (!ARCHITECTURES.contains(base.architecture())) {
      problem(at + ".architecture", "must be one of " + ARCHITECTURES + ", was '" + base.architecture() + "'");
    }
  }

  private void checkVolume(String at, ProjectSpec.Volume volume) {
    if (volume == null) {
      return;
    }
    if (volume.sizeGiB() != null && (volume.sizeGiB() < 1 || volume.sizeGiB() > 65_536)) {
      problem(at + ".sizeGiB", "must be between 1 and 65536, was " + volume.sizeGiB());
    }
    if (!VOLUME_TYPES.contains(volume.type())) {
      problem(at + ".type", "must be one of " + VOLUME_TYPES + ", was '" + volume.type() + "'");
    }
    if (volume.iops() != null && volume.iops() < 1) {
      problem(at + ".iops", "must be positive, was " + volume.iops());
    }
    if (volume.throughput() != null && volume.throughput() < 1) {
      problem(at + ".throughput", "must be positive, was " + volume.throughput());
    }
  }

  /** launch.gpus lets the type chooser pick the types, so it and instanceTypes exclude each other. */
  private void checkGpus(ProjectSpec.Launch launch) {
    if (launch.gpus() == null) {
      return;
    }
    try {
      GpuSpec.parse(launch.gpus());
    } catch (GpuSpec.Invalid e) {
      problem("launch.gpus", e.getMessage());
    }
    if (!launch.instanceTypes().isEmpty()) {
      problem("launch", "give either instanceTypes or gpus (the cheapest types with those GPUs), not both");
    }
  }

  private void checkLaunch(ProjectSpec.Launch launch) {
    if (launch.instanceTypes().isEmpty() && launch.gpus() == null) {
      problem("launch.instanceTypes", "missing: list at least one instance type, in order of preference"
          + " (or ask for GPUs with launch.gpus)");
    }
    checkGpus(launch);
    for (int i = 0; i < launch.instanceTypes().size(); i++) {
      matches("launch.instanceTypes[" + i + "]", launch.instanceTypes().get(i), INSTANCE_TYPE,
          "an instance type like g5.xlarge");
    }
    for (int i = 0; i < launch.subnets().size(); i++) {
      matches("launch.subnets[" + i + "]", launch.subnets().get(i), SUBNET, "a subnet id like subnet-0abc1234");
    }
    for (int i = 0; i < launch.securityGroups().size(); i++) {
      matches("launch.securityGroups[" + i + "]", launch.securityGroups().get(i), SECURITY_GROUP,
          "a security group id like sg-0abc1234");
    }
    if (launch.iamInstanceProfile() != null && launch.iamInstanceProfile().isBlank()) {
      problem("launch.iamInstanceProfile", "is empty; leave it out or name the instance profile");
    }
    if (launch.keyName() != null && launch.keyName().isBlank()) {
      problem("launch.keyName", "is empty; leave it out or name the key pair");
    }
    checkVolume("launch.rootVolume", launch.rootVolume());
    checkRecover(launch.recover());
    for (int i = 0; i < launch.extraVolumes().size(); i++) {
      ProjectSpec.ExtraVolume v = launch.extraVolumes().get(i);
      String at = "launch.extraVolumes[" + i + "]";
      if (v == null) {
        missing(at);
        continue;
      }
      matches(at + ".device", v.device(), DEVICE, "a device name like /dev/sdf");
      if (v.sizeGiB() == null) {
        missing(at + ".sizeGiB");
      }
      checkVolume(at, new ProjectSpec.Volume(v.sizeGiB(), v.type(), null, null));
    }
  }

  private void checkRecover(ProjectSpec.Recover recover) {
    if (recover == null) {
      return;
    }
    if (recover.maxAttempts() < 1) {
      problem("launch.recover.maxAttempts", "must be at least 1 (the first attempt counts), was "
          + recover.maxAttempts());
    }
    if (recover.onDemandAfter() != null && recover.onDemandAfter() < 1) {
      problem("launch.recover.onDemandAfter", "must be at least 1 interruption (leave it out for never), was "
          + recover.onDemandAfter());
    }
  }

  private void checkRun(ProjectSpec.Run run) {
    if (run.repo() == null || run.repo().isBlank()) {
      missing("run.repo");
    } else if (run.repo().chars().anyMatch(Character::isWhitespace)) {
      problem("run.repo", "must be a git URL without spaces");
    }
    matches("run.ref", run.ref(), GIT_REF, "a branch, tag or commit");
    if (run.command() == null || run.command().isBlank()) {
      missing("run.command");
    }
    matches("run.user", run.user(), UNIX_USER, "a unix user name");
    for (Map.Entry<String, String> e : run.env().entrySet()) {
      if (!ENV_NAME.matcher(e.getKey()).matches()) {
        problem("run.env." + e.getKey(), "is not a valid environment variable name");
      }
      if (e.getValue() == null) {
        problem("run.env." + e.getKey(), "must be a string");
      }
    }
    if (run.logUri() == null) {
      missing("run.logUri");
    } else {
      matches("run.logUri", run.logUri(), S3_URI, "an S3 URI like s3://my-bucket/logs");
    }
    if (run.timeoutMinutes() < 0) {
      problem("run.timeoutMinutes", "must be 0 (no timeout) or more, was " + run.timeoutMinutes());
    }
    if (run.checkpoint() != null) {
      checkCheckpoint(run.checkpoint());
    }
    if (run.uploadRetryMinutes() < 0) {
      problem("run.uploadRetryMinutes", "must be 0 (one try) or more, was " + run.uploadRetryMinutes());
    }
    if (problems.isEmpty()) {
      // Found only when the bake records it, after Packer has run for minutes: check it now.
      int size = RunConfig.of(run).toJson().length();
      if (size > RUN_CONFIG_MAX_CHARS) {
        problem("run", "is " + size + " characters as JSON, more than the " + RUN_CONFIG_MAX_CHARS + " an SSM"
            + " parameter holds: keep long values in parameters of their own, written as ssm:/path in run.env");
      }
    }
  }

  private void checkCheckpoint(ProjectSpec.Checkpoint checkpoint) {
    String dir = checkpoint.dir();
    matches("run.checkpoint.dir", dir, ABSOLUTE_PATH, "an absolute path like /home/ubuntu/checkpoints");
    if (dir != null && ABSOLUTE_PATH.matcher(dir).matches() && List.of(dir.split("/")).contains("..")) {
      problem("run.checkpoint.dir", "'" + dir + "' must not go up with ..");
    }
    if (checkpoint.uri() != null) {
      matches("run.checkpoint.uri", checkpoint.uri(), S3_URI, "an S3 URI like s3://my-bucket/checkpoints");
    }
    if (checkpoint.syncSeconds() < MIN_SYNC_SECONDS) {
      problem("run.checkpoint.syncSeconds", "must be at least " + MIN_SYNC_SECONDS + ", was "
          + checkpoint.syncSeconds());
    }
  }

  private void matches(String path, String value, Pattern pattern, String expected) {
    if (value == null) {
      missing(path);
    } else if (!pattern.matcher(value).matches()) {
      problem(path, "'" + value + "' is not " + expected);
    }
  }

  private void missing(String path) {
    problem(path, "missing");
  }

  private void problem(String path, String message) {
    problems.add(new Problem(path, message));
  }
}
