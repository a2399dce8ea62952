package dev.amipipeline.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.amipipeline.aws.AwsClients;
import dev.amipipeline.common.AmiException;
import dev.amipipeline.common.Durations;
import dev.amipipeline.common.Json;
import dev.amipipeline.common.WaitReporter;
import dev.amipipeline.launch.ChoiceReport;
import dev.amipipeline.launch.Ec2Launch;
import dev.amipipeline.launch.InstanceTypeCatalog;
import dev.amipipeline.launch.JobLogFollower;
import dev.amipipeline.launch.JobResult;
import dev.amipipeline.launch.LaunchDryRun;
import dev.amipipeline.launch.LaunchOptions;
import dev.amipipeline.launch.LaunchPlan;
import dev.amipipeline.launch.LaunchPlanner;
import dev.amipipeline.launch.LaunchReport;
import dev.amipipeline.launch.LaunchTemplates;
import dev.amipipeline.launch.LaunchedInstance;
import dev.amipipeline.launch.Placement;
import dev.amipipeline.launch.RootDevice;
import dev.amipipeline.launch.S3JobFiles;
import dev.amipipeline.launch.TypeChooser;
import dev.amipipeline.local.LocalHost;
import dev.amipipeline.local.LocalInstance;
import dev.amipipeline.local.LocalLaunch;
import dev.amipipeline.local.LocalPaths;
import dev.amipipeline.project.ParameterNames;
import dev.amipipeline.project.Project;
import dev.amipipeline.project.ProjectParameters;
import dev.amipipeline.project.ProjectValidator;
import java.io.PrintWriter;
import java.math.BigDecimal;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import java.util.regex.Pattern;
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
        "",
        "Examples:",
        "  ami launch --project ml --spot --wait",
        "  ami launch --project ml --spot --follow   # stream the log, exit with its code",
        "  ami launch --project ml --count 4 --spot  # EC2 Fleet over types and subnets",
        "  ami launch --project ml --ami-version 3   # roll back to the 3rd bake",
        "  ami launch --project ml --template-only   # template that follows each bake",
        "  ami launch --cpu 8 --memory 61035 --list  # cheapest fitting types only",
        "  ami launch --project demo --local --follow  # boot it on this machine (emulator)",
        "",
        "With --local (against a local emulator, as root) the instance the emulator",
        "launched boots for real on this machine: the image 'ami bake --local-root'",
        "kept, under systemd-nspawn behind an overlay, with a metadata service on",
        "127.0.0.1. Its first-boot unit runs the job, ships the log to the emulator's S3",
        "and powers off; the command prints the log and exits with the job's code.",
        ""})
final class LaunchCommand implements Callable<Integer> {

  private static final Pattern KEY_OR_PROFILE = Pattern.compile("^[\\w+=,.@ -]{1,255}$");
  /** With --local --follow the instance copies its log to S3 this often (its default is 60 s). */
  private static final int FOLLOW_LOG_SYNC_SECONDS = 5;

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

  @Option(names = "--list",
      description = "With --cpu and --memory: print the cheapest fitting types and launch nothing.")
  boolean list;

  @Option(names = "--count", paramLabel = "N", defaultValue = "1",
      description = "How many instances (more than 1 uses EC2 Fleet; default: ${DEFAULT-VALUE}).")
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

  @Option(names = "--template-only",
      description = "Create or update the launch template ami-pipeline-<project> (image resolve:ssm:…) instead"
          + " of launching.")
  boolean templateOnly;

  @Option(names = "--wait", description = "Wait until running and print the addresses.")
  boolean waitRunning;

  @Option(names = "--follow", description = "Stream the job's log from S3 until it ends; exit with its code.")
  boolean follow;

  @Option(names = "--dry-run", description = "Print the exact requests and check permissions; launch nothing.")
  boolean dryRun;

  @Option(names = "--local",
      description = "Boot the launched instance on this machine from its local image (needs --endpoint-url and root).")
  boolean local;

  @Option(names = "--spot-interrupt-after", paramLabel = "DURATION",
      description = "With --local and --spot: the metadata service gives the spot interruption notice this long"
          + " after boot, e.g. 10s.")
  String spotInterruptAfter;

  @Option(names = "--poll-interval-ms", hidden = true, defaultValue = "5000",
      description = "How often --follow looks for new log lines.")
  long pollIntervalMs;

  @Mixin GlobalOptions global;

  private final Clock clock = Clock.systemUTC();

  @Override
  public Integer call() {
    checkFlags();
    if (list) {
      Project p = project == null ? null : global.projects().load(project);
      try (AwsClients aws = global.aws()) {
        return Printer.print(spec, global, ChoiceReport.of(choose(aws, p)));
      }
    }
    Project p = global.projects().load(project);
    LaunchOptions options = new LaunchOptions(spot, maxPrice, onDemandFallback, subnets, securityGroups, keyName,
        iamInstanceProfile, rootDevice, count, placement);
    options.checkAgainst(p);
    if (local) {
      LocalHost.require(LocalHost.MACHINE_TOOLS, "ami launch --local");
    }
    if (spotInterruptAfter != null && !options.spotFor(p)) {
      throw new AmiException.BadInput("--spot-interrupt-after interrupts a spot instance: add --spot (project "
          + p.name() + " launches on demand)");
    }
    try (AwsClients aws = global.aws()) {
      ParameterNames names = new ParameterNames(global.ssmPrefix(), p.name());
      ProjectParameters parameters = new ProjectParameters(aws.ssm(), names);
      String amiId = recordedAmi(parameters, aws);
      LaunchPlan plan = LaunchPlanner.plan(p, options, instanceTypes(aws, p), amiId,
          amiVersion == null ? names.amiId() : names.amiIdVersion(amiVersion), clock.instant());
      if (dryRun) {
        return Printer.print(spec, global, new LaunchDryRun(aws.ec2()).check(plan, templateOnly));
      }
      if (templateOnly) {
        return Printer.print(spec, global, new LaunchTemplates(aws.ec2()).createOrUpdate(plan));
      }
      if (local) {
        return launchLocally(aws, parameters, p, plan);
      }
      return launch(aws, parameters, p, plan);
    }
  }

  private int launch(AwsClients aws, ProjectParameters parameters, Project p, LaunchPlan plan) {
    PrintWriter progress = Printer.progress(spec);
    Ec2Launch ec2 = new Ec2Launch(aws.ec2(), line -> {
      progress.println(line);
      progress.flush();
    });
    if (plan.placementGroup() != null) {
      ec2.ensurePlacementGroup(plan.placementGroup());
    }
    Ec2Launch.Launched launched = plan.fleet()
        ? ec2.fleet(plan, UUID.randomUUID().toString().substring(0, 8))
        : ec2.single(plan);
    List<LaunchedInstance> instances = launched.instances();
    if ((waitRunning || follow) && !instances.isEmpty()) {
      instances = ec2.waitRunning(instances.stream().map(LaunchedInstance::instanceId).toList());
    }
    LaunchReport report = new LaunchReport(plan.project(), plan.amiId(), amiVersion, launched.fleetId(),
        plan.count(), instances, launched.notes(), launched.errors(), null);
    if (!follow) {
      return Printer.print(spec, global, report);
    }
    if (!global.json()) {
      Printer.print(spec, global, report);
    }
    JobResult job = followJob(aws, parameters, p, report.instanceIds().get(0), ec2);
    Printer.print(spec, global, global.json() ? report.withJob(job) : job);
    return job.jobExitCode();
  }

  /** Streams the log: on stdout in text mode; on stderr with --output json, so stdout stays one object. */
  private JobResult followJob(AwsClients aws, ProjectParameters parameters, Project p, String instanceId,
      Ec2Launch ec2) {
    S3JobFiles files = new S3JobFiles(aws.s3(aws.region()), logUri(parameters, p), p.name(), instanceId,
        () -> ec2.describe(List.of(instanceId)).stream().map(LaunchedInstance::state).findFirst().orElse("terminated"));
    Printer.progress(spec).println("following " + files.logUri());
    Printer.progress(spec).flush();
    JobLogFollower follower = new JobLogFollower(files, jobLogSink(), WaitReporter.printingTo(Printer.progress(spec), ""), clock);
    return follower.follow(instanceId, Duration.ofMillis(pollIntervalMs), d -> Thread.sleep(d.toMillis()));
  }

  private Consumer<String> jobLogSink() {
    PrintWriter sink = global.json() ? Printer.progress(spec) : spec.commandLine().getOut();
    return line -> {
      sink.println(line);
      sink.flush();
    };
  }

  /** The instance uploads where the baked run configuration says; the project file may have moved on. */
  private static String logUri(ProjectParameters parameters, Project p) {
    return parameters.runConfigJson().map(LaunchCommand::logUriOf).orElse(p.spec().run().logUri());
  }

  /**
   * --local: checks first (nothing launched on bad input), then the emulator's RunInstances, the
   * instance booted here, its job followed through S3. Without --follow the log is printed when the
   * instance has powered off.
   */
  private int launchLocally(AwsClients aws, ProjectParameters parameters, Project p, LaunchPlan plan) {
    String logUri = logUri(parameters, p);
    LocalLaunch localLaunch = new LocalLaunch(aws, LocalPaths.fromEnvironment(System.getenv()), Printer.progress(spec),
        clock);
    localLaunch.check(plan, logUri);
    LocalInstance.Settings settings = new LocalInstance.Settings(LocalLaunch.instanceAwsEnvironment(aws),
        follow ? FOLLOW_LOG_SYNC_SECONDS : null,
        spotInterruptAfter == null ? null : Durations.parse(spotInterruptAfter, "--spot-interrupt-after"));
    LaunchReport report = localLaunch.launch(plan, amiVersion);
    if (!global.json()) {
      Printer.print(spec, global, report);
    }
    List<String> collected = new ArrayList<>();
    JobResult job = localLaunch.runJob(report, logUri, settings, follow ? jobLogSink() : collected::add,
        Duration.ofMillis(pollIntervalMs));
    collected.forEach(jobLogSink());
    Printer.print(spec, global, global.json() ? report.withJob(job) : job);
    return job.jobExitCode();
  }

  private static String logUriOf(String runConfigJson) {
    try {
      return Json.OUTPUT.readTree(runConfigJson).path("logUri").asText(null);
    } catch (JsonProcessingException e) {
      throw new AmiException.Failed("the run configuration in SSM is not valid JSON: rebake the project ("
          + e.getOriginalMessage() + ")");
    }
  }

  /** The AMI the launch uses: the current or the asked-for version of ami-id; none means bake first. */
  private String recordedAmi(ProjectParameters parameters, AwsClients aws) {
    String where = " in " + aws.region().id();
    if (amiVersion == null) {
      return parameters.currentAmiId().orElseThrow(() -> new AmiException.BadInput("project " + project
          + " has no baked AMI" + where + " (" + parameters.names().amiId() + " is missing): run 'ami bake --project "
          + project + "' first"));
    }
    return parameters.amiId(amiVersion).orElseThrow(() -> new AmiException.BadInput("there is no version "
        + amiVersion + " of " + parameters.names().amiId() + where + ": pick a recorded version (ami list --project "
        + project + ") or run 'ami bake --project " + project + "'"));
  }

  private List<String> instanceTypes(AwsClients aws, Project p) {
    if (type != null && type.instanceType != null) {
      return List.of(type.instanceType);
    }
    if (type != null && type.size != null) {
      TypeChooser.Choice choice = choose(aws, p);
      Printer.progress(spec).println(ChoiceReport.of(choice).toText());
      Printer.progress(spec).flush();
      return choice.typesInOrder();
    }
    return p.spec().launch().instanceTypes();
  }

  /** Cheapest fitting type for the image's architecture, by spot price with --spot, else the on-demand estimate. */
  private TypeChooser.Choice choose(AwsClients aws, Project p) {
    String architecture = p == null ? "x86_64" : p.spec().bake().baseImage().architecture();
    TypeChooser.Requirement need = new TypeChooser.Requirement(type.size.cpu, type.size.memoryMib, architecture);
    InstanceTypeCatalog catalog = new InstanceTypeCatalog(aws.ec2());
    List<TypeChooser.TypeInfo> all = catalog.all();
    boolean spotPrices = spot != null ? spot : p != null && p.spec().launch().spot();
    TypeChooser.Pricing pricing = spotPrices
        ? catalog.spotPrices(TypeChooser.fitting(all, need).stream().map(TypeChooser.TypeInfo::name).toList(),
            clock.instant())
        : new TypeChooser.OnDemandEstimate();
    return TypeChooser.choose(all, need, pricing, TypeChooser.TABLE_SIZE);
  }

  /** Combinations that cannot work: exit 2 before the project is read or AWS is called. */
  private void checkFlags() {
    boolean sized = type != null && type.size != null;
    if (list) {
      if (!sized) {
        throw new AmiException.BadInput("--list prints the cheapest types for --cpu N --memory MIB; add both");
      }
      if (templateOnly || waitRunning || follow || dryRun || count != 1) {
        throw new AmiException.BadInput("--list only prints the type table; drop --template-only, --wait, --follow,"
            + " --dry-run and --count");
      }
      return;
    }
    if (project == null) {
      throw new AmiException.BadInput("--project is required to launch (or use --cpu N --memory MIB --list)");
    }
    if (count < 1) {
      throw new AmiException.BadInput("--count must be at least 1, was " + count);
    }
    if (amiVersion != null && amiVersion < 1) {
      throw new AmiException.BadInput("--ami-version must be 1 or more, was " + amiVersion);
    }
    if (maxPrice != null && maxPrice.signum() <= 0) {
      throw new AmiException.BadInput("--max-price must be a positive price in USD per hour, was " + maxPrice);
    }
    if (templateOnly && (waitRunning || follow || count != 1 || placement != null)) {
      throw new AmiException.BadInput("--template-only only writes the launch template; drop --wait, --follow,"
          + " --count and --placement");
    }
    if (follow && count != 1) {
      throw new AmiException.BadInput("--follow streams one instance's log; launch with --count 1");
    }
    if (dryRun && (waitRunning || follow)) {
      throw new AmiException.BadInput("--dry-run launches nothing, so there is nothing to --wait for or --follow");
    }
    if (local && (count != 1 || templateOnly || dryRun || placement != null)) {
      throw new AmiException.BadInput("--local boots one instance on this machine; drop --count, --template-only,"
          + " --dry-run and --placement");
    }
    if (local && global.awsSettings().endpointOverride().isEmpty()) {
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
    if (pollIntervalMs < 1) {
      throw new AmiException.BadInput("--poll-interval-ms must be positive");
    }
    check("--instance-type", type == null ? null : type.instanceType, ProjectValidator.INSTANCE_TYPE,
        "an instance type like g5.xlarge");
    for (String subnet : subnets == null ? List.<String>of() : subnets) {
      check("--subnet", subnet, ProjectValidator.SUBNET, "a subnet id like subnet-0abc1234");
    }
    for (String group : securityGroups == null ? List.<String>of() : securityGroups) {
      check("--security-group", group, ProjectValidator.SECURITY_GROUP, "a security group id like sg-0abc1234");
    }
    check("--key-name", keyName, KEY_OR_PROFILE, "a key pair name");
    check("--iam-instance-profile", iamInstanceProfile, KEY_OR_PROFILE, "an instance profile name");
    check("--root-device", rootDevice, RootDevice.DEVICE, "a device name like /dev/sda1 or /dev/xvda");
  }

  private static void check(String option, String value, Pattern pattern, String expected) {
    if (value != null && !pattern.matcher(value).matches()) {
      throw new AmiException.BadInput(option + " '" + value + "' is not " + expected);
    }
  }
}
