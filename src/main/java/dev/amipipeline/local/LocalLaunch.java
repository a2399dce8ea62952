package dev.amipipeline.local;

import dev.amipipeline.aws.AwsClients;
import dev.amipipeline.aws.Ec2Tags;
import dev.amipipeline.common.AmiException;
import dev.amipipeline.common.Concurrently;
import dev.amipipeline.launch.InstanceHost;
import dev.amipipeline.launch.LaunchPlan;
import dev.amipipeline.launch.LaunchReport;
import dev.amipipeline.project.Tags;
import dev.amipipeline.results.JobLogFollower;
import dev.amipipeline.results.JobResult;
import dev.amipipeline.results.ResultFolder;
import dev.amipipeline.results.ResultLayout;
import dev.amipipeline.results.S3JobFiles;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.InstanceAttributeName;
import software.amazon.awssdk.services.ec2.model.InstanceLifecycleType;
import software.amazon.awssdk.services.ec2.model.InstanceMetadataTagsState;
import software.amazon.awssdk.services.ec2.model.RunInstancesRequest;
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
  /** States of the emulator's instance in which EC2 shuts the instance down. */
  private static final Set<String> ENDED_IN_THE_EMULATOR = Set.of("shutting-down", "terminated", "stopping", "stopped");

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

  /**
   * Boots the launched instance here and follows its job. A recovering run's attempt that a spot
   * interruption ended is replaced, as its fleet would replace it on EC2 ({@link FleetReplacement}),
   * until an attempt ends the run or its fleet is deleted or expires; the result is the last
   * attempt's. The spot notice comes to the run's first {@link Job#spotNoticeAttempts} attempts.
   */
  @Override
  public JobResult run(AwsClients aws, LaunchReport launched, Job job, Consumer<String> jobLines) {
    RunFleets fleets = new RunFleets(aws);
    String instanceId = launched.instanceIds().get(0);
    int attempt = 1;
    JobResult result = runInstance(aws, instanceId, job.forAttempt(attempt), jobLines);
    while (true) {
      Instance ended = describe(aws, instanceId);
      Map<String, String> tags = Ec2Tags.toMap(ended.tags());
      FleetReplacement.Fleet fleet = fleets.ofRecovering(ended, clock.instant()).orElse(null);
      FleetReplacement.Next next = FleetReplacement.afterAttempt(result.exitStatus(), tags, fleet,
          clock.instant());
      if (next instanceof FleetReplacement.Stop stop) {
        if (tags.containsKey(FleetReplacement.MAX_ATTEMPTS_TAG)) {
          say("run " + tags.get(Tags.RUN) + ": no replacement of " + instanceId + ": " + stop.why());
        }
        return result;
      }
      boolean spot = ((FleetReplacement.Replace) next).spot();
      say("run " + tags.get(Tags.RUN) + ": " + instanceId + " ended by a spot interruption; its fleet "
          + fleet.fleetId() + " replaces it " + (spot ? "on the spot market" : "on demand")
          + " (EC2's part, played here)");
      String amiId = fleets.imageOf(fleet.templateImage());
      attempt++;
      result = runAttempt(aws, NewAttempt.fromFleet(fleet, amiId, ended, spot), job.forAttempt(attempt), jobLines);
      instanceId = result.instanceId();
    }
  }

  /**
   * The nodes of a run of several, launched in the emulator by the launch's instant fleet: each
   * booted in a container of its own and followed as {@link #run} follows one instance, all at once.
   * Each node's metadata service serves its own id, tags, type and private address; the nodes find
   * and rank each other as on EC2, through the emulator (DescribeInstances on the run's tag).
   */
  @Override
  public List<JobResult> runNodes(AwsClients aws, LaunchReport launched, Job job,
      Function<String, Consumer<String>> jobLines) {
    List<String> nodes = launched.instanceIds();
    say("run " + launched.runId() + ": booting its " + nodes.size() + " nodes here at once, a container each");
    return Concurrently.all(nodes.stream().<Supplier<JobResult>>map(id -> () -> runNode(aws, id, nodes,
        new Job(job.results().folder(id), job.followed(), job.spotNotice(), job.poll()), jobLines.apply(id)))
        .toList());
  }

  /**
   * One node of a run. A node that cannot be booted or followed ends the run, as a node lost on EC2
   * would: the other nodes are terminated in the emulator, so their containers halt in order instead
   * of waiting for it.
   */
  private JobResult runNode(AwsClients aws, String instanceId, List<String> nodes, Job job, Consumer<String> lines) {
    try {
      return runInstance(aws, instanceId, job, lines, true);
    } catch (RuntimeException e) {
      List<String> others = nodes.stream().filter(id -> !id.equals(instanceId)).toList();
      say(instanceId + " failed (" + e.getMessage() + "): terminating the run's other nodes in the emulator: "
          + String.join(", ", others));
      try {
        aws.ec2().terminateInstances(b -> b.instanceIds(others));
      } catch (RuntimeException notEnded) {
        e.addSuppressed(notEnded);
      }
      throw e;
    }
  }

  /**
   * A new attempt of a run that has had one: {@code request} (an instance with the run's tags, e.g.
   * {@link NewAttempt#like}) goes to the emulator, and the instance it starts boots here and is
   * followed as {@link #run} follows the first. Its first-boot finds the run's checkpoint and counts
   * the earlier attempts, as on EC2.
   *
   * @param job as for an earlier attempt of the run: the new instance's results go beside its
   */
  public JobResult runAttempt(AwsClients aws, RunInstancesRequest request, Job job, Consumer<String> jobLines) {
    String instanceId = aws.ec2().runInstances(request).instances().get(0).instanceId();
    say("launched " + instanceId + " in the emulator: a new attempt of the run whose results are in "
        + runFolder(job.results()).uri());
    Job attempt = new Job(runFolder(job.results()).folder(instanceId), job.followed(), job.spotNotice(), job.poll(),
        job.spotNoticeAttempts());
    return runInstance(aws, instanceId, attempt, jobLines);
  }

  /** The run's folder: the one that holds an instance's folder. */
  static ResultFolder runFolder(ResultFolder instance) {
    String prefix = instance.prefix();
    int parentEnd = prefix.lastIndexOf('/', prefix.length() - 2) + 1;
    return new ResultFolder(instance.bucket(), prefix.substring(0, parentEnd));
  }

  /**
   * Boots the emulator's instance here and follows its job until it has reported and powered off;
   * the emulator's instance is terminated on every way out. When the emulator's instance ends first
   * (ami cancel terminates it), the container is halted as EC2 halts an instance it terminates.
   */
  private JobResult runInstance(AwsClients aws, String instanceId, Job job, Consumer<String> jobLines) {
    return runInstance(aws, instanceId, job, jobLines, false);
  }

  /**
   * @param node one node of a run of several (see {@link #runNodes}): its metadata service serves
   *     its private address as local-ipv4. A single instance gets none, so its job's AMI_MASTER_ADDR
   *     is 127.0.0.1, where it reaches itself on this machine.
   */
  private JobResult runInstance(AwsClients aws, String instanceId, Job job, Consumer<String> jobLines, boolean node) {
    try {
      String userData = userData(aws, instanceId);
      Instance described = describe(aws, instanceId);
      EmulatorView view = EmulatorView.of(new RunFleets(aws), described, clock.instant(), node);
      // Only a spot instance gets the notice (a replacement may run on demand).
      LocalInstance.Settings settings = new LocalInstance.Settings(instanceAwsEnvironment(aws),
          job.followed() ? FOLLOWED_LOG_SYNC_SECONDS : null,
          market(described).equals("spot") ? job.spotNotice() : null);
      say("booting " + instanceId + " from the local image of " + view.amiId() + " (user-data: "
          + (userData == null ? "none" : userData.strip()) + ")");
      try (LocalInstance instance = LocalInstance.boot(paths,
          new LocalInstance.Identity(instanceId, view.amiId(), aws.region().id(), userData,
              described.instanceTypeAsString(), market(described), view.metadataTags(described), view.fleetId(),
              node ? described.privateIpAddress() : null), settings, clock,
          progress)) {
        EmulatorWatch emulator = new EmulatorWatch(aws, instanceId, instance, view);
        S3JobFiles files = new S3JobFiles(aws.s3(aws.region()), job.results(), emulator::instanceState);
        say("metadata service for " + instanceId + " on " + instance.metadataEndpoint());
        JobResult result = new JobLogFollower(files, jobLines, this::say, clock)
            .follow(instanceId, job.poll(), instance::awaitPowerOff);
        if (result.exitStatus() == null) {
          say(instanceId + " ended without an exit status; the last lines of its first-boot.log:");
          instance.firstBootLogTail().forEach(l -> say("  " + l));
        } else if (!instance.awaitPowerOff(emulator.halting() ? LocalInstance.Halt.ENDED_IN_THE_EMULATOR.grace()
            : POWER_OFF)) {
          say(instanceId + " reported its job but did not power off (terminateOnExit false?): halting it, since a"
              + " local instance ends with this command");
        }
        instance.halt(LocalInstance.Halt.JOB_REPORTED);
        say(instanceId + " is down (systemd-nspawn exit " + instance.exitCode().orElse(-1) + ")"
            + (emulator.halting() ? "" : "; terminating it in the emulator, as EC2 does after a power-off"));
        return result;
      }
    } finally {
      aws.ec2().terminateInstances(b -> b.instanceIds(instanceId));
    }
  }

  /**
   * Reads the emulator's instance whenever the follower asks for the state: once the emulator has
   * ended it (terminated, or stopped, by ami cancel or by hand), the metadata service gets its tags
   * as they are now (the cancel tag among them) and the container is halted in order.
   */
  private final class EmulatorWatch {
    private final AwsClients aws;
    private final String instanceId;
    private final LocalInstance instance;
    private final EmulatorView view;
    private boolean halting;
    private boolean expired;

    EmulatorWatch(AwsClients aws, String instanceId, LocalInstance instance, EmulatorView view) {
      this.aws = aws;
      this.instanceId = instanceId;
      this.instance = instance;
      this.view = view;
    }

    String instanceState() {
      if (!halting && instance.running()) {
        endAtExpiry();
        Instance now = describe(aws, instanceId);
        String state = now.state().nameAsString();
        if (ENDED_IN_THE_EMULATOR.contains(state)) {
          instance.tags(view.metadataTags(now));
          say(instanceId + " is " + state + " in the emulator: halting it as EC2 does; its first-boot unit has up to "
              + LocalInstance.FIRST_BOOT_STOP_TIMEOUT.toSeconds() + " s to stop the job and upload its results");
          instance.requestHalt(LocalInstance.Halt.ENDED_IN_THE_EMULATOR);
          halting = true;
        }
      }
      return instance.state();
    }

    /** A fleet with TerminateInstancesWithExpiration ends its instances at ValidUntil: EC2's cost ceiling. */
    private void endAtExpiry() {
      FleetReplacement.Fleet fleet = view.fleet();
      if (expired || fleet == null || !fleet.terminateInstancesWithExpiration() || !fleet.expired(clock.instant())) {
        return;
      }
      expired = true;
      say("the fleet " + fleet.fleetId() + " of " + instanceId + " expired at " + fleet.validUntil()
          + " (ValidUntil): terminating " + instanceId + " in the emulator, as EC2 does");
      aws.ec2().terminateInstances(b -> b.instanceIds(instanceId));
    }

    boolean halting() {
      return halting;
    }
  }

  /**
   * The emulator's instance as EC2 would have launched it. moto launches a fleet's instances
   * without what their launch template version says beyond tags, user-data and type: their image
   * is still the template's {@code resolve:ssm:} parameter, and their metadata options moto's
   * defaults (no tags in the metadata).
   *
   * @param fleet the fleet of a recovering run's instance; null for any other instance
   * @param instantFleet the instance is a node that the launch's instant fleet started from a launch
   *     template (made by the launch and deleted once the fleet answered) that, as every launch,
   *     puts instance tags in the metadata; moto does not apply a template's metadata options
   */
  private record EmulatorView(String amiId, FleetReplacement.Fleet fleet, boolean instantFleet) {

    static EmulatorView of(RunFleets fleets, Instance described, Instant now, boolean instantFleet) {
      return new EmulatorView(fleets.imageOf(described.imageId()), fleets.ofRecovering(described, now).orElse(null),
          instantFleet);
    }

    /** The tags the metadata service serves: none unless launched with metadata tags on (by itself or its template). */
    Map<String, String> metadataTags(Instance instance) {
      boolean enabled = instance.metadataOptions() != null
          && instance.metadataOptions().instanceMetadataTags() == InstanceMetadataTagsState.ENABLED
          || fleet != null && fleet.metadataTags() || instantFleet;
      return enabled ? Ec2Tags.toMap(instance.tags()) : Map.of();
    }

    String fleetId() {
      return fleet == null ? null : fleet.fleetId();
    }
  }

  /** What EC2's metadata says at instance-life-cycle. */
  private static String market(Instance instance) {
    return instance.instanceLifecycle() == InstanceLifecycleType.SPOT ? "spot" : "on-demand";
  }

  private static Instance describe(AwsClients aws, String instanceId) {
    return aws.ec2().describeInstances(b -> b.instanceIds(instanceId)).reservations().get(0).instances().get(0);
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
