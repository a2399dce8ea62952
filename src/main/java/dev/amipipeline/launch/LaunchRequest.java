package dev.amipipeline.launch;

import dev.amipipeline.common.AmiException;
import dev.amipipeline.common.Durations;
import dev.amipipeline.project.GpuSpec;
import dev.amipipeline.project.Project;
import dev.amipipeline.project.ProjectSpec;
import dev.amipipeline.project.ProjectValidator;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Everything one {@code ami launch} was asked, as plain values, and every rule its flags follow:
 * combinations that cannot work are exit 2 before the project is read or AWS is called (the compact
 * constructor); rules that need the project's defaults are {@link #checkAgainst}. A new flag is a
 * new component here, with its rules beside the others.
 *
 * @param project the project to launch; null only with {@code list}
 * @param options what the instances are like (market, network, count, placement)
 * @param instanceType {@code --instance-type}, or null
 * @param size {@code --cpu}/{@code --memory}: the type chooser picks the types; null = not asked
 * @param gpus {@code --gpus} as typed: the type chooser picks types with these GPUs; null = the project's
 * @param amiVersion the version of the ami-id parameter to launch; null = the current one
 * @param list print the cheapest fitting types and launch nothing
 * @param dryRun print the requests and let EC2 check them; launch nothing
 * @param templateOnly create or update the project's launch template instead of launching
 * @param waitRunning wait until the instances run
 * @param follow stream the job's log until it ends; the command exits with the job's code
 * @param local boot the launched instance on this machine
 * @param endpointGiven the command talks to an endpoint given with --endpoint-url (an emulator)
 * @param spotInterruptAfter with {@code local}: when the spot notice appears after boot, as typed
 * @param pollInterval how often a followed job's log is read
 * @param recovery {@code --recover}/{@code --no-recover} and {@code --max-hours}
 * @param spotInterruptAttempts with {@code spotInterruptAfter}: how many of the run's first attempts get
 *     the notice; null = 1 (the first only)
 */
public record LaunchRequest(
    String project,
    LaunchOptions options,
    String instanceType,
    Size size,
    String gpus,
    Long amiVersion,
    boolean list,
    boolean dryRun,
    boolean templateOnly,
    boolean waitRunning,
    boolean follow,
    boolean local,
    boolean endpointGiven,
    String spotInterruptAfter,
    Duration pollInterval,
    RecoveryFlags recovery,
    Integer spotInterruptAttempts) {

  /** The most instances {@code --local} boots at once: each is a whole system in a container on this machine. */
  public static final int MAX_LOCAL_NODES = 4;

  /** {@code --cpu N --memory MIB}: the least a type must have. */
  public record Size(int cpu, long memoryMib) {}

  /**
   * The recovery flags as typed.
   *
   * @param recover {@code --recover} (true), {@code --no-recover} (false), or null: the project's launch.recover
   * @param maxHours {@code --max-hours}, or null
   */
  public record RecoveryFlags(Boolean recover, String maxHours) {
    public static final RecoveryFlags NONE = new RecoveryFlags(null, null);

    /** Whether either flag asks for recovery. */
    boolean asked() {
      return Boolean.TRUE.equals(recover) || maxHours != null;
    }
  }

  /** A launch without recovery flags. */
  public LaunchRequest(String project, LaunchOptions options, String instanceType, Size size, String gpus,
      Long amiVersion, boolean list, boolean dryRun, boolean templateOnly, boolean waitRunning, boolean follow,
      boolean local, boolean endpointGiven, String spotInterruptAfter, Duration pollInterval) {
    this(project, options, instanceType, size, gpus, amiVersion, list, dryRun, templateOnly, waitRunning, follow,
        local, endpointGiven, spotInterruptAfter, pollInterval, RecoveryFlags.NONE);
  }

  /** A launch whose spot notice, if any, goes to its first attempt only. */
  public LaunchRequest(String project, LaunchOptions options, String instanceType, Size size, String gpus,
      Long amiVersion, boolean list, boolean dryRun, boolean templateOnly, boolean waitRunning, boolean follow,
      boolean local, boolean endpointGiven, String spotInterruptAfter, Duration pollInterval,
      RecoveryFlags recovery) {
    this(project, options, instanceType, size, gpus, amiVersion, list, dryRun, templateOnly, waitRunning, follow,
        local, endpointGiven, spotInterruptAfter, pollInterval, recovery, null);
  }

  private static final Pattern KEY_OR_PROFILE = Pattern.compile("^[\\w+=,.@ -]{1,255}$");

  public LaunchRequest {
    Objects.requireNonNull(options, "options");
    Objects.requireNonNull(pollInterval, "pollInterval");
    recovery = recovery == null ? RecoveryFlags.NONE : recovery;
    int count = options.count();
    checkRecoveryFlags(recovery, list, templateOnly, options.onDemandFallback());
    if (gpus != null) {
      try {
        GpuSpec.parse(gpus);
      } catch (GpuSpec.Invalid e) {
        throw new AmiException.BadInput("--gpus " + e.getMessage());
      }
      if (instanceType != null) {
        throw new AmiException.BadInput("--gpus picks the instance types, --instance-type names one: drop either");
      }
    }
    if (list) {
      if (size == null && gpus == null && project == null) {
        throw nothingToList("");
      }
      if (templateOnly || waitRunning || follow || dryRun || count != 1) {
        throw new AmiException.BadInput("--list only prints the type table; drop --template-only, --wait, --follow,"
            + " --dry-run and --count");
      }
    } else {
      if (project == null) {
        throw new AmiException.BadInput("--project is required to launch (or use --cpu N --memory MIB --list)");
      }
      if (count < 1) {
        throw new AmiException.BadInput("--count must be at least 1, was " + count);
      }
      if (amiVersion != null && amiVersion < 1) {
        throw new AmiException.BadInput("--ami-version must be 1 or more, was " + amiVersion);
      }
      if (options.maxPrice() != null && options.maxPrice().signum() <= 0) {
        throw new AmiException.BadInput("--max-price must be a positive price in USD per hour, was "
            + options.maxPrice());
      }
      if (templateOnly && (waitRunning || follow || count != 1 || options.placement() != null)) {
        throw new AmiException.BadInput("--template-only only writes the launch template; drop --wait, --follow,"
            + " --count and --placement");
      }
      if (follow && count != 1 && !local) {
        throw new AmiException.BadInput("--follow streams one instance's log; launch with --count 1");
      }
      if (dryRun && (waitRunning || follow)) {
        throw new AmiException.BadInput("--dry-run launches nothing, so there is nothing to --wait for or --follow");
      }
      if (local && (templateOnly || dryRun || options.placement() != null)) {
        throw new AmiException.BadInput("--local boots the launched instances on this machine; drop --template-only,"
            + " --dry-run and --placement");
      }
      if (local && count > MAX_LOCAL_NODES) {
        throw new AmiException.BadInput("--local boots at most " + MAX_LOCAL_NODES + " instances on this machine (a"
            + " container each), was " + count + ": use --count " + MAX_LOCAL_NODES + " or less");
      }
      if (local && count > 1 && Boolean.TRUE.equals(recovery.recover())) {
        throw localNodesDoNotRecover("drop --recover");
      }
      if (local && count > 1 && spotInterruptAfter != null) {
        throw new AmiException.BadInput("--spot-interrupt-after interrupts a local run of one instance: drop it, or"
            + " --count");
      }
      if (local && !endpointGiven) {
        throw new AmiException.BadInput("--local boots the instance on this machine against a local emulator: add"
            + " --endpoint-url (e.g. eval \"$(scripts/local-aws env)\")");
      }
      if (spotInterruptAfter != null) {
        if (!local) {
          throw new AmiException.BadInput("--spot-interrupt-after simulates the notice for a local instance:"
              + " add --local");
        }
        Durations.parse(spotInterruptAfter, "--spot-interrupt-after");
      }
      if (spotInterruptAttempts != null) {
        if (spotInterruptAfter == null) {
          throw new AmiException.BadInput("--spot-interrupt-attempts says how many attempts get the notice of"
              + " --spot-interrupt-after: add it");
        }
        if (spotInterruptAttempts < 1) {
          throw new AmiException.BadInput("--spot-interrupt-attempts must be 1 or more, was " + spotInterruptAttempts);
        }
      }
      if (pollInterval.isZero() || pollInterval.isNegative()) {
        throw new AmiException.BadInput("--poll-interval-ms must be positive");
      }
      check("--instance-type", instanceType, ProjectValidator.INSTANCE_TYPE, "an instance type like g5.xlarge");
      for (String subnet : options.subnets()) {
        check("--subnet", subnet, ProjectValidator.SUBNET, "a subnet id like subnet-0abc1234");
      }
      for (String group : options.securityGroups()) {
        check("--security-group", group, ProjectValidator.SECURITY_GROUP, "a security group id like sg-0abc1234");
      }
      check("--key-name", options.keyName(), KEY_OR_PROFILE, "a key pair name");
      check("--iam-instance-profile", options.iamInstanceProfile(), KEY_OR_PROFILE, "an instance profile name");
      check("--root-device", options.rootDevice(), RootDevice.DEVICE, "a device name like /dev/sda1 or /dev/xvda");
    }
    if (size != null && (size.cpu() < 1 || size.memoryMib() < 1)) {
      throw new AmiException.BadInput("--cpu and --memory must be at least 1, were " + size.cpu() + " and "
          + size.memoryMib());
    }
  }

  /** The recovery flags' own rules: a number for --max-hours, and no flag recovery cannot go with. */
  private static void checkRecoveryFlags(RecoveryFlags recovery, boolean list, boolean templateOnly,
      boolean onDemandFallback) {
    if (recovery.maxHours() != null) {
      Recovery.parseMaxHours(recovery.maxHours());
      if (Boolean.FALSE.equals(recovery.recover())) {
        throw new AmiException.BadInput("--max-hours is the cost ceiling of a recovering run, and --no-recover asks"
            + " for none: drop either");
      }
    }
    if (!recovery.asked()) {
      return;
    }
    if (list) {
      throw new AmiException.BadInput("--list only prints the type table; drop --recover and --max-hours");
    }
    if (templateOnly) {
      throw new AmiException.BadInput("--template-only only writes the project's launch template, and a run"
          + " recovers only when it is launched: drop --recover and --max-hours");
    }
    if (onDemandFallback) {
      throw new AmiException.BadInput("--on-demand-fallback does not go with --recover: a recovering run's fleet"
          + " turns to on demand after launch.recover.onDemandAfter interruptions");
    }
  }

  private static void check(String option, String value, Pattern pattern, String expected) {
    if (value != null && !pattern.matcher(value).matches()) {
      throw new AmiException.BadInput(option + " '" + value + "' is not " + expected);
    }
  }

  /**
   * A local run of several nodes does not recover: on EC2 the fleet replaces an interrupted node while
   * the others go on; here nothing plays that for one node of several.
   */
  private static AmiException.BadInput localNodesDoNotRecover(String fix) {
    return new AmiException.BadInput("--local --count N does not recover (a run of several nodes recovers on EC2"
        + " only): " + fix);
  }

  /** The rules that need the project's defaults; exit 2 before any AWS call. */
  public void checkAgainst(Project p) {
    if (local && options.count() > 1 && recovers(p)) {
      throw localNodesDoNotRecover("add --no-recover (project " + p.name() + " recovers by default)");
    }
    if (recovery.maxHours() != null && !recovers(p)) {
      throw new AmiException.BadInput("--max-hours is the cost ceiling of a recovering run: add --recover (project "
          + p.name() + " does not recover by default)");
    }
    if (recovers(p) && options.onDemandFallback()) {
      throw new AmiException.BadInput("--on-demand-fallback does not go with recovery (project " + p.name()
          + " recovers by default; add --no-recover): a recovering run's fleet turns to on demand after"
          + " launch.recover.onDemandAfter interruptions");
    }
    if (options.spotFor(p)) {
      return;
    }
    String why = options.spot() == null ? " (project " + p.name() + " launches on demand; add --spot)" : "";
    if (options.maxPrice() != null) {
      throw new AmiException.BadInput("--max-price applies to spot launches only" + why);
    }
    if (options.onDemandFallback()) {
      throw new AmiException.BadInput("--on-demand-fallback applies to spot launches only" + why);
    }
    if (spotInterruptAfter != null) {
      throw new AmiException.BadInput("--spot-interrupt-after interrupts a spot instance: add --spot (project "
          + p.name() + " launches on demand)");
    }
  }

  /**
   * The GPUs the type chooser looks for: {@code --gpus}, else the project's {@code launch.gpus};
   * none when {@code --instance-type} names the type.
   *
   * @param p the project; null only with {@code --list}
   */
  public GpuSpec gpuSpec(Project p) {
    if (instanceType != null) {
      return null;
    }
    String spec = gpus != null ? gpus : p == null ? null : p.spec().launch().gpus();
    return spec == null ? null : GpuSpec.parse(spec);
  }

  /** Whether the type chooser picks the types: for --cpu/--memory or GPUs, unless --instance-type names one. */
  public boolean choosesTypes(Project p) {
    return instanceType == null && (size != null || gpuSpec(p) != null);
  }

  /** {@code --list} without --cpu/--memory or --gpus needs a project that asks for GPUs. */
  public void checkList(Project p) {
    if (!choosesTypes(p)) {
      throw nothingToList(instanceType != null ? " (--instance-type names the type)"
          : p == null ? "" : " (project " + p.name() + " names its instance types)");
    }
  }

  private static AmiException.BadInput nothingToList(String why) {
    return new AmiException.BadInput("--list prints the cheapest types for --cpu N --memory MIB and/or --gpus SPEC"
        + why + ": add them");
  }

  /**
   * Whether the launch starts a recovering run (a {@code maintain} EC2 Fleet): asked with
   * {@code --recover}, or by the project's launch.recover unless {@code --no-recover}. The project's
   * shared template ({@code --template-only}) and the type table never do.
   */
  public boolean recovers(Project p) {
    if (list || templateOnly) {
      return false;
    }
    return recovery.recover() != null ? recovery.recover() : p.spec().launch().recover() != null;
  }

  /** The project's recovery settings, or the defaults when only --recover asks for recovery. */
  public ProjectSpec.Recover recoverSettings(Project p) {
    ProjectSpec.Recover settings = p.spec().launch().recover();
    return settings != null ? settings : new ProjectSpec.Recover(null, null);
  }

  /** {@code --max-hours} as a number of hours, or null. */
  public BigDecimal maxHours() {
    return recovery.maxHours() == null ? null : Recovery.parseMaxHours(recovery.maxHours());
  }

  /** When a local spot instance gets its interruption notice, counted from its boot; null = never. */
  public Duration spotNotice() {
    return spotInterruptAfter == null ? null : Durations.parse(spotInterruptAfter, "--spot-interrupt-after");
  }

  /** How many of the run's first attempts get the spot notice of {@link #spotNotice}: 1 unless asked. */
  public int spotNoticeAttempts() {
    return spotInterruptAttempts == null ? 1 : spotInterruptAttempts;
  }

  /** Launches that wait for running instances: asked to, or to follow the job, or to boot it here. */
  boolean waitsUntilRunning() {
    return waitRunning || follow || local;
  }
}
