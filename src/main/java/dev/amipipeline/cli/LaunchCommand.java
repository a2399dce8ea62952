package dev.amipipeline.cli;

import dev.amipipeline.launch.Launch;
import dev.amipipeline.launch.LaunchOptions;
import dev.amipipeline.launch.LaunchRequest;
import dev.amipipeline.launch.Placement;
import dev.amipipeline.local.LocalLaunch;
import dev.amipipeline.local.LocalPaths;
import dev.amipipeline.project.Project;
import dev.amipipeline.runs.AttemptsFollower;
import java.math.BigDecimal;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code ami launch}: start instances from the project's recorded AMI with one line of user-data. */
@Command(name = "launch",
    header = "Start instances of a project; user-data is just AMI_PROJECT=<project>.",
    mixinStandardHelpOptions = true, sortOptions = false,
    description = {
        "Starts instances from the project's current AMI (SSM <prefix>/<project>/ami-id).",
        "The user-data is exactly AMI_PROJECT=<project>; the image's first-boot unit",
        "reads the run configuration from SSM, runs the job, ships the log to S3 and",
        "terminates the instance. IMDSv2 is required (hop limit 2), shutdown terminates,",
        "volumes are encrypted, instance and volumes are tagged ami-pipeline:project.",
        "Each launch is one run: its id is printed first and tagged ami-pipeline:run on",
        "every instance, volume and fleet; 'ami logs <run>' shows its log.",
        "",
        "Examples:",
        "  ami launch --project ml --spot --wait",
        "  ami launch --project ml --spot --follow   # stream the log, exit with its code",
        "  ami launch --project ml --count 4 --spot  # EC2 Fleet over types and subnets",
        "  ami launch --project ml --spot --recover --max-hours 12  # survives spot loss",
        "  ami launch --project ml --ami-version 3   # roll back to the 3rd bake",
        "  ami launch --project ml --template-only   # template that follows each bake",
        "  ami launch --cpu 8 --memory 61035 --list  # cheapest fitting types only",
        "  ami launch --project ml --gpus A100:8     # cheapest types with 8 A100s",
        "  ami launch --gpus 24GB+:1 --list --spot   # one GPU of 24 GB or more",
        "  ami launch --project demo --local --follow  # boot it here (emulator)",
        "  ami launch --project demo --local --count 2 --follow  # two nodes here",
        "",
        "With --local (a local emulator, as root) the instance boots on this machine",
        "from the image 'ami bake --local-root' kept, under systemd-nspawn; its",
        "first-boot unit runs the job, ships the log to the emulator's S3 and powers off.",
        "With --count N (2 to 4) the run's N nodes boot at once, a container each; they",
        "neither recover nor get a spot notice: nothing here replaces one of several.",
        ""})
final class LaunchCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Option(names = "--project", paramLabel = "P", description = "The project to launch.")
  String project;

  @Option(names = "--spot", negatable = true,
      description = "Use one-time spot capacity, terminated on interruption (default: the project's launch.spot).")
  Boolean spot;

  @Option(names = "--max-price", paramLabel = "USD",
      description = "Highest spot price per instance-hour (default: the on-demand price).")
  BigDecimal maxPrice;

  @Option(names = "--on-demand-fallback",
      description = "When no spot capacity is left in any type or subnet, launch on demand.")
  boolean onDemandFallback;

  static final class TypeChoice {
    @Option(names = "--instance-type", paramLabel = "T", description = "Instance type (default: the project's).")
    String instanceType;

    @ArgGroup(exclusive = false)
    Size size;
  }

  static final class Size {
    @Option(names = "--cpu", paramLabel = "N", required = true, description = "Pick the cheapest type with N vCPUs or more.")
    int cpu;

    @Option(names = "--memory", paramLabel = "MIB", required = true, description = "…and at least MIB memory.")
    long memoryMib;
  }

  @ArgGroup(exclusive = true, multiplicity = "0..1")
  TypeChoice type;

  @Option(names = "--gpus", paramLabel = "SPEC",
      description = "Pick the cheapest types with these GPUs (default: the project's launch.gpus): NAME:COUNT"
          + " (A100:8), MEM+:COUNT (24GB+:1, memory per GPU as sold), NAME (L4) or COUNT (1, any GPU);"
          + " COUNT is exact. Combines with --cpu/--memory.")
  String gpus;

  @Option(names = "--list",
      description = "With --cpu and --memory and/or --gpus: print the cheapest fitting types and launch nothing.")
  boolean list;

  @Option(names = "--count", paramLabel = "N", defaultValue = "1",
      description = "How many instances, one run of N nodes (more than 1 uses EC2 Fleet; with --local at most 4;"
          + " default: ${DEFAULT-VALUE}).")
  int count;

  @Option(names = "--ami-version", paramLabel = "N",
      description = "Launch version N of the ami-id parameter (rollback) instead of the latest.")
  Long amiVersion;

  @Option(names = "--subnet", paramLabel = "ID", split = ",",
      description = "Subnet(s) in order of preference (default: the project's).")
  List<String> subnets;

  @Option(names = "--security-group", paramLabel = "ID", split = ",",
      description = "Security group id(s) (default: the project's).")
  List<String> securityGroups;

  @Option(names = "--key-name", paramLabel = "NAME", description = "EC2 key pair (default: the project's).")
  String keyName;

  @Option(names = "--iam-instance-profile", paramLabel = "NAME",
      description = "IAM instance profile (default: the project's).")
  String iamInstanceProfile;

  @Option(names = "--root-device", paramLabel = "DEV",
      description = "The image's root device name, for launch.rootVolume (default: /dev/sda1, or /dev/xvda"
          + " when the project bakes as ec2-user or admin).")
  String rootDevice;

  @Option(names = "--placement", paramLabel = "STRATEGY",
      description = "Put the instances in the project's placement group of this strategy, created on first use:"
          + " ${COMPLETION-CANDIDATES}.")
  Placement placement;

  @Option(names = "--recover", negatable = true,
      description = "Recover from spot interruptions: an EC2 Fleet (maintain) replaces interrupted instances until"
          + " the run ends, within launch.recover.maxAttempts and a cost ceiling (default: on when the project"
          + " has launch.recover).")
  Boolean recover;

  @Option(names = "--max-hours", paramLabel = "H",
      description = "With recovery: the cost ceiling, H hours from now (decimals allowed); EC2 launches nothing for"
          + " the run after it and ends what still runs (default: maxAttempts × (run.timeoutMinutes + 10 min)).")
  String maxHours;

  @Option(names = "--template-only",
      description = "Create or update the launch template ami-pipeline-<project> (image resolve:ssm:…) instead"
          + " of launching.")
  boolean templateOnly;

  @Option(names = "--wait", description = "Wait until running and print the addresses.")
  boolean waitRunning;

  @Option(names = "--follow", description = "Stream the job's log from S3 until it ends; exit with its code (with"
      + " --local --count N: every node's, each line prefixed [instance-id]; the first non-zero code, 0 only when"
      + " all are 0).")
  boolean follow;

  @Option(names = "--dry-run", description = "Print the exact requests and check permissions; launch nothing.")
  boolean dryRun;

  @Mixin LocalOptions here;

  @Mixin PollInterval poll;

  @Mixin GlobalOptions global;

  /** The flags as one request (which checks them), then the launch. */
  @Override
  public Integer call() {
    LaunchRequest request = new LaunchRequest(project,
        new LaunchOptions(spot, maxPrice, onDemandFallback, subnets, securityGroups, keyName, iamInstanceProfile,
            rootDevice, count, placement),
        type == null ? null : type.instanceType,
        type == null || type.size == null ? null : new LaunchRequest.Size(type.size.cpu, type.size.memoryMib),
        gpus,
        amiVersion, list, dryRun, templateOnly, waitRunning, follow, here.local,
        global.awsSettings().endpointOverride().isPresent(), here.spotInterruptAfter, Duration.ofMillis(poll.millis),
        new LaunchRequest.RecoveryFlags(recover, maxHours), here.spotInterruptAttempts);
    Project p = project == null ? null : global.projects().load(project);
    Clock clock = Clock.systemUTC();
    LocalLaunch host = here.local
        ? new LocalLaunch(LocalPaths.fromEnvironment(System.getenv()), Printer.progress(spec), clock) : null;
    Launch.Outcome outcome = new Launch(global::aws, global.ssmPrefix(), new LaunchStreams(spec, global), clock,
        ThreadLocalRandom.current(), host, new AttemptsFollower(global.ssmPrefix(), clock)).run(request, p);
    Printer.print(spec, global, outcome.report());
    return outcome.exitCode();
  }
}
