package dev.amipipeline.launch;

import dev.amipipeline.aws.AwsClients;
import dev.amipipeline.common.AmiException;
import dev.amipipeline.common.JobOutput;
import dev.amipipeline.common.Report;
import dev.amipipeline.project.ParameterNames;
import dev.amipipeline.project.Project;
import dev.amipipeline.project.ProjectParameters;
import dev.amipipeline.project.RunConfig;
import dev.amipipeline.results.JobLogFollower;
import dev.amipipeline.results.JobResult;
import dev.amipipeline.results.ResultFolder;
import dev.amipipeline.results.ResultLayout;
import dev.amipipeline.results.RunFollower;
import dev.amipipeline.results.RunId;
import dev.amipipeline.results.S3JobFiles;
import java.math.BigDecimal;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;

/**
 * One {@code ami launch}, start to end: check the request against the project, read the recorded
 * AMI, pick the instance types, plan, then one of: the type table ({@code --list}), EC2's dry-run
 * check, the launch template, or the launch itself (RunInstances, an instant fleet, or a recovering
 * run's maintain fleet), waited for and its job followed when asked; with an {@link InstanceHost}
 * the instance boots there. Every launch starts one run, whose id it makes from the clock and the
 * random source.
 */
public final class Launch {

  /** Where a launch writes while it runs; its result is what {@link #run} returns. */
  public interface Output extends JobOutput {
    /** The instances started, before their job is followed: text output shows them now. */
    void launched(LaunchReport report);
  }

  /** The result to print and the command's exit code (a followed job's own). */
  public record Outcome(Report report, int exitCode) {
    static Outcome of(Report report) {
      return new Outcome(report, report.exitCode().code());
    }

    static Outcome followed(LaunchReport launch, JobResult job) {
      return new Outcome(new FollowedLaunch(launch.withJob(job)), job.jobExitCode());
    }

    static Outcome followedNodes(LaunchReport launch, List<JobResult> jobs) {
      FollowedNodes followed = new FollowedNodes(launch, jobs);
      return new Outcome(followed, followed.jobExitCode());
    }
  }

  private final Supplier<AwsClients> connect;
  private final String ssmPrefix;
  private final Output output;
  private final Clock clock;
  private final RandomGenerator random;
  private final InstanceHost host;
  private final RunFollower attempts;

  /**
   * @param connect opens the AWS clients, after every check that needs none (bad input never waits
   *     on credentials); they are closed when the launch ends
   * @param random the random part of run ids
   * @param host where {@code --local} boots the instance; null when not asked for
   * @param attempts follows a recovering run across its attempts ({@code --recover --follow})
   */
  public Launch(Supplier<AwsClients> connect, String ssmPrefix, Output output, Clock clock, RandomGenerator random,
      InstanceHost host, RunFollower attempts) {
    this.connect = connect;
    this.ssmPrefix = ssmPrefix;
    this.output = output;
    this.clock = clock;
    this.random = random;
    this.host = host;
    this.attempts = attempts;
  }

  /** @param project the request's project, loaded; null only with {@code --list} and no project */
  public Outcome run(LaunchRequest request, Project project) {
    if (request.list()) {
      request.checkList(project);
      try (AwsClients aws = connect.get()) {
        return Outcome.of(ChoiceReport.of(choose(aws, request, project)));
      }
    }
    request.checkAgainst(project);
    if (request.local()) {
      localHost().requireReady();
    }
    Instant now = clock.instant();
    // The project's shared template starts runs of their own: each instance's id is its run id.
    RunId run = request.templateOnly() ? null : RunId.start(project.name(), now, random);
    try (AwsClients aws = connect.get()) {
      ProjectParameters parameters = new ProjectParameters(aws.ssm(), new ParameterNames(ssmPrefix, project.name()));
      LaunchPlan plan = plan(aws, parameters, request, project, run, now);
      if (request.dryRun()) {
        return Outcome.of(new LaunchDryRun(aws.ec2()).check(plan, request.templateOnly()));
      }
      if (request.templateOnly()) {
        return Outcome.of(new LaunchTemplates(aws.ec2()).createOrUpdate(plan));
      }
      return request.local()
          ? launchOnHost(aws, parameters, request, project, plan, run)
          : launchOnEc2(aws, parameters, request, project, plan, run);
    }
  }

  private LaunchPlan plan(AwsClients aws, ProjectParameters parameters, LaunchRequest request, Project project,
      RunId run, Instant now) {
    String amiId = recordedAmi(parameters, aws, request);
    Recovery recovery = run != null && request.recovers(project) ? recovery(parameters, request, project, now) : null;
    ParameterNames names = parameters.names();
    return LaunchPlanner.plan(project, request.options(), instanceTypes(aws, request, project), amiId,
        request.amiVersion() == null ? names.amiId() : names.amiIdVersion(request.amiVersion()), run, now, recovery);
  }

  /**
   * How the run recovers, with its cost ceiling: {@code --max-hours}, else from the timeout of the run
   * configuration the instances read (as baked; the project file's when never baked).
   */
  private static Recovery recovery(ProjectParameters parameters, LaunchRequest request, Project project,
      Instant now) {
    BigDecimal maxHours = request.maxHours();
    int timeout = maxHours != null ? 0 : parameters.runConfigJson().map(RunConfig::fromJson)
        .map(RunConfig::timeoutMinutes).orElse(project.spec().run().timeoutMinutes());
    return Recovery.of(request.recoverSettings(project), maxHours, timeout, now, project.name(),
        parameters.names().run());
  }

  private Outcome launchOnEc2(AwsClients aws, ProjectParameters parameters, LaunchRequest request, Project project,
      LaunchPlan plan, RunId run) {
    Ec2Launch ec2 = new Ec2Launch(aws.ec2(), output::progress);
    if (plan.placementGroup() != null) {
      ec2.ensurePlacementGroup(plan.placementGroup());
    }
    LaunchReport report = start(aws, ec2, request, plan);
    if (!request.follow()) {
      return Outcome.of(report);
    }
    output.launched(report);
    if (plan.recovers()) {
      return followAcrossAttempts(aws, report, project, run, request);
    }
    String instanceId = report.instanceIds().get(0);
    ResultFolder results = ResultLayout.of(parameters.logUri(project), project.name()).instance(run, instanceId);
    S3JobFiles files = new S3JobFiles(aws.s3(aws.region()), results,
        () -> ec2.describe(List.of(instanceId)).stream().map(LaunchedInstance::state).findFirst().orElse("terminated"));
    output.progress("following " + files.logUri());
    JobResult job = new JobLogFollower(files, output::jobLine, output::progress, clock)
        .follow(instanceId, request.pollInterval(), d -> Thread.sleep(d.toMillis()));
    return Outcome.followed(report, job);
  }

  /**
   * {@code --local}: the host's checks first (nothing launched on bad input), then the emulator's
   * RunInstances, the instance booted on the host, its job followed through S3. Without
   * {@code --follow} the log is shown when the instance has powered off.
   */
  private Outcome launchOnHost(AwsClients aws, ProjectParameters parameters, LaunchRequest request, Project project,
      LaunchPlan plan, RunId run) {
    String logUri = parameters.logUri(project);
    host.check(aws, plan, logUri);
    // Worded as the host words its own progress.
    LaunchReport report = start(aws, new Ec2Launch(aws.ec2(), line -> output.progress("ami: " + line)), request,
        plan);
    output.launched(report);
    if (plan.count() > 1) {
      return launchNodesOnHost(aws, request, report, ResultLayout.of(logUri, project.name()).run(run));
    }
    List<String> collected = new ArrayList<>();
    Consumer<String> jobLines = request.follow() ? output::jobLine : collected::add;
    ResultFolder results = ResultLayout.of(logUri, project.name()).instance(run, report.instanceIds().get(0));
    JobResult job = host.run(aws, report,
        new InstanceHost.Job(results, request.follow(), request.spotNotice(), request.pollInterval(),
            request.spotNoticeAttempts()), jobLines);
    collected.forEach(output::jobLine);
    return Outcome.followed(report, job);
  }

  /**
   * {@code --local --count N}: the run's nodes boot on the host at once. Each line of a node's log is
   * prefixed with its instance id, as {@code ami logs} shows a run of several instances; without
   * {@code --follow} the logs are shown node by node once every node has powered off. The command
   * exits with the first non-zero code of the nodes' jobs (0 when all are 0).
   */
  private Outcome launchNodesOnHost(AwsClients aws, LaunchRequest request, LaunchReport report,
      ResultFolder runFolder) {
    Map<String, List<String>> collected = new ConcurrentHashMap<>();
    Function<String, Consumer<String>> jobLines = instanceId -> {
      String prefix = "[" + instanceId + "] ";
      if (request.follow()) {
        return line -> output.jobLine(prefix + line);
      }
      List<String> lines = collected.computeIfAbsent(instanceId, id -> Collections.synchronizedList(new ArrayList<>()));
      return line -> lines.add(prefix + line);
    };
    List<JobResult> jobs = host.runNodes(aws, report,
        new InstanceHost.Job(runFolder, request.follow(), request.spotNotice(), request.pollInterval()), jobLines);
    report.instanceIds().forEach(id -> collected.getOrDefault(id, List.of()).forEach(output::jobLine));
    return Outcome.followedNodes(report, jobs);
  }

  /**
   * {@code --follow} of a recovering run: as {@code ami logs RUN --follow}, each attempt's log in turn
   * until the run ends; the command exits with the last attempt's job's code.
   */
  private Outcome followAcrossAttempts(AwsClients aws, LaunchReport report, Project project, RunId run,
      LaunchRequest request) {
    RunFollower.Followed followed = attempts.follow(aws, project, run, request.pollInterval(), output);
    return followed.lastJob() == null ? new Outcome(report, followed.exitCode())
        : Outcome.followed(report, followed.lastJob());
  }

  /**
   * RunInstances for one instance, an instant fleet for more, or a recovering run's maintain fleet; then
   * waits for them when the request does.
   */
  private static LaunchReport start(AwsClients aws, Ec2Launch ec2, LaunchRequest request, LaunchPlan plan) {
    if (plan.recovers()) {
      LaunchTemplates.RunVersion template = new LaunchTemplates(aws.ec2()).runVersion(plan);
      Ec2Launch.Launched launched = ec2.recovering(plan, template);
      List<LaunchedInstance> instances = request.waitsUntilRunning()
          ? ec2.waitForFleet(plan, launched.fleetId()) : launched.instances();
      return new LaunchReport(plan.runId(), plan.project(), plan.amiId(), request.amiVersion(), launched.fleetId(),
          plan.count(), instances, launched.notes(), launched.errors(), null,
          LaunchReport.Recovering.of(launched.fleetId(), template, plan.recovery()));
    }
    Ec2Launch.Launched launched = plan.fleet()
        ? ec2.fleet(plan, UUID.randomUUID().toString().substring(0, 8))
        : ec2.single(plan);
    List<LaunchedInstance> instances = launched.instances();
    if (request.waitsUntilRunning() && !instances.isEmpty()) {
      instances = ec2.waitRunning(instances.stream().map(LaunchedInstance::instanceId).toList());
    }
    return new LaunchReport(plan.runId(), plan.project(), plan.amiId(), request.amiVersion(), launched.fleetId(),
        plan.count(), instances, launched.notes(), launched.errors(), null);
  }

  private InstanceHost localHost() {
    if (host == null) {
      throw new IllegalStateException("--local needs an instance host");
    }
    return host;
  }

  /** The AMI the launch uses: the current or the asked-for version of ami-id; none means bake first. */
  private static String recordedAmi(ProjectParameters parameters, AwsClients aws, LaunchRequest request) {
    String project = request.project();
    String where = " in " + aws.region().id();
    Long version = request.amiVersion();
    if (version == null) {
      return parameters.currentAmiId().orElseThrow(() -> new AmiException.BadInput("project " + project
          + " has no baked AMI" + where + " (" + parameters.names().amiId() + " is missing): run 'ami bake --project "
          + project + "' first"));
    }
    return parameters.amiId(version).orElseThrow(() -> new AmiException.BadInput("there is no version "
        + version + " of " + parameters.names().amiId() + where + ": pick a recorded version (ami list --project "
        + project + ") or run 'ami bake --project " + project + "'"));
  }

  /** The types to try in order: the one asked for, the chooser's for --cpu/--memory or GPUs, else the project's. */
  private List<String> instanceTypes(AwsClients aws, LaunchRequest request, Project project) {
    if (request.instanceType() != null) {
      return List.of(request.instanceType());
    }
    if (request.choosesTypes(project)) {
      TypeChooser.Choice choice = choose(aws, request, project);
      output.progress(ChoiceReport.of(choice).toText());
      return choice.typesInOrder();
    }
    return project.spec().launch().instanceTypes();
  }

  /**
   * Cheapest fitting types for the image's architecture, by spot price with --spot, else the
   * on-demand estimate. DescribeInstanceTypes has no GPU filters: the chooser filters all types.
   */
  private TypeChooser.Choice choose(AwsClients aws, LaunchRequest request, Project project) {
    String architecture = project == null ? "x86_64" : project.spec().bake().baseImage().architecture();
    LaunchRequest.Size size = request.size();
    TypeChooser.Requirement need = new TypeChooser.Requirement(size == null ? 0 : size.cpu(),
        size == null ? 0 : size.memoryMib(), request.gpuSpec(project), architecture);
    InstanceTypeCatalog catalog = new InstanceTypeCatalog(aws.ec2());
    List<TypeChooser.TypeInfo> all = catalog.all();
    Boolean spot = request.options().spot();
    boolean spotPrices = spot != null ? spot : project != null && project.spec().launch().spot();
    TypeChooser.Pricing pricing = spotPrices
        ? catalog.spotPrices(TypeChooser.fitting(all, need).stream().map(TypeChooser.TypeInfo::name).toList(),
            clock.instant())
        : new TypeChooser.OnDemandEstimate();
    return TypeChooser.choose(all, need, pricing, TypeChooser.TABLE_SIZE);
  }
}
