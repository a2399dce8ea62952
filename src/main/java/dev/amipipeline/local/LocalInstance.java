package dev.amipipeline.local;

import dev.amipipeline.common.AmiException;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * An instance the emulator launched, booted for real on this machine: its AMI's local image under
 * systemd-nspawn, behind an overlay that takes every change (so the image stays as baked and the
 * boot copies nothing), on the host's network, with the metadata stand-in serving its identity and
 * user-data. The image's own first-boot unit runs under its own systemd; when it powers off, the
 * container ends.
 */
public final class LocalInstance implements AutoCloseable {

  /**
   * The emulator's instance, as the metadata service describes it.
   *
   * @param market {@code spot} or {@code on-demand}, as meta-data/instance-life-cycle says
   * @param tags what tags/instance serves: the instance's tags when it was launched with instance
   *     metadata tags enabled (as every ami launch is), else none, as on EC2
   * @param fleetId the fleet that maintains it (a recovering run's); null when none does
   * @param privateIp its private IPv4 in the emulator, served as local-ipv4 (for ranking the nodes of
   *     a run and printing: the container shares the host's network, not this address); null = none
   */
  public record Identity(String instanceId, String amiId, String region, String userData, String instanceType,
      String market, Map<String, String> tags, String fleetId, String privateIp) {
    public Identity {
      Objects.requireNonNull(instanceId, "instanceId");
      Objects.requireNonNull(amiId, "amiId");
      Objects.requireNonNull(region, "region");
      tags = tags == null ? Map.of() : Map.copyOf(tags);
    }
  }

  /**
   * How the instance side reaches AWS here, and what to simulate.
   *
   * @param awsEnvironment AWS_ENDPOINT_URL and the credentials that stand in for an instance profile
   * @param logSyncSeconds how often first-boot copies the log to S3; null = its default
   * @param spotInterruptAfter when the spot interruption notice appears, counted from the boot; null = never
   */
  public record Settings(Map<String, String> awsEnvironment, Integer logSyncSeconds, Duration spotInterruptAfter) {
    public Settings {
      awsEnvironment = Map.copyOf(awsEnvironment);
      if (logSyncSeconds != null && logSyncSeconds < 1) {
        throw new IllegalArgumentException("logSyncSeconds must be positive or null");
      }
      if (spotInterruptAfter != null && spotInterruptAfter.isNegative()) {
        throw new IllegalArgumentException("spotInterruptAfter must not be negative");
      }
    }
  }

  /**
   * Why a local instance is halted, which decides how long its units get to stop before whatever is
   * left of it is killed.
   */
  public enum Halt {
    /** Its job has reported and it did not power off by itself: nothing on it is still at work. */
    JOB_REPORTED(Machine.DEFAULT_GRACE),
    /**
     * Its instance was terminated or stopped in the emulator (ami cancel, for one): its system shuts
     * down in order, as on EC2, and the first-boot unit gets its whole stop time to give the job its
     * grace and upload the checkpoint, the logs and the exit status.
     */
    ENDED_IN_THE_EMULATOR(FIRST_BOOT_STOP_TIMEOUT.plus(Duration.ofSeconds(15)));

    private final Duration grace;

    Halt(Duration grace) {
      this.grace = grace;
    }

    public Duration grace() {
      return grace;
    }
  }

  /** TimeoutStopSec of the image's first-boot unit (launcher/ami-first-boot.service). */
  static final Duration FIRST_BOOT_STOP_TIMEOUT = Duration.ofSeconds(150);
  private static final int LOG_TAIL = 10;

  private final Machine machine;
  private final MetadataService metadata;

  private LocalInstance(Machine machine, MetadataService metadata) {
    this.machine = machine;
    this.metadata = metadata;
  }

  public static LocalInstance boot(LocalPaths paths, Identity identity, Settings settings, Clock clock,
      PrintWriter progress) {
    MetadataService metadata = MetadataService.start(identity.instanceId(), identity.region(), identity.amiId());
    metadata.userData(identity.userData());
    metadata.instanceType(identity.instanceType());
    metadata.market(identity.market());
    metadata.tags(identity.tags());
    metadata.localIpv4(identity.privateIp());
    Path dir = null;
    try {
      dir = Machine.newFolder(paths.machines(), identity.instanceId(), progress);
      Path lower = new ImageStore(paths.images()).unpacked(identity.amiId());
      writeOverrides(dir.resolve("upper"), environment(metadata.endpoint(), settings));
      writeAbandonedScript(dir, identity, settings);
      if (seedCloudInit(lower, dir.resolve("upper"), identity)) {
        progress.println("ami: the image has cloud-init: it reads the user-data and instance id from a NoCloud seed");
        progress.flush();
      }
      if (settings.spotInterruptAfter() != null) {
        Instant notice = clock.instant().plus(settings.spotInterruptAfter());
        metadata.spotNoticeWhen(() -> !clock.instant().isBefore(notice));
      }
      Machine machine = Machine.boot(identity.instanceId(), dir, lower,
          NspawnArgv.boot(identity.instanceId(), dir.resolve("root"), Map.of()), progress);
      return new LocalInstance(machine, metadata);
    } catch (IOException | RuntimeException e) {
      metadata.close();
      if (dir != null) {
        HostCommand.removeTreeQuietly(dir);
      }
      if (e instanceof RuntimeException r) {
        throw r;
      }
      throw new AmiException.Failed("cannot prepare " + dir + " for " + identity.instanceId() + ": "
          + e.getMessage(), e);
    }
  }

  static Map<String, String> environment(URI metadataEndpoint, Settings settings) {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("AMI_IMDS_ENDPOINT", metadataEndpoint.toString());
    env.putAll(new TreeMap<>(settings.awsEnvironment()));
    if (settings.logSyncSeconds() != null) {
      env.put("AMI_LOG_SYNC_SECONDS", settings.logSyncSeconds().toString());
    }
    return env;
  }

  /** Into the overlay's upper layer, before the boot: the image itself stays as baked. */
  private static void writeOverrides(Path upper, Map<String, String> environment) throws IOException {
    Path dropIn = upper.resolve(InstanceOverrides.DROP_IN);
    Files.createDirectories(dropIn.getParent());
    Files.writeString(dropIn, InstanceOverrides.firstBootDropIn(environment), StandardCharsets.UTF_8);
    // It holds credentials: root only, like an instance's own secrets.
    Files.setPosixFilePermissions(dropIn, PosixFilePermissions.fromString("rw-------"));
    Files.createDirectories(upper.resolve(InstanceOverrides.ENDED).getParent());
    Files.createSymbolicLink(upper.resolve(InstanceOverrides.SSH_UNIT), Path.of("/dev/null"));
  }

  /**
   * For machine.sh, should this process end before the machine: the emulator's instance is ended
   * too, and the fleet of a recovering run (nothing here would replace its instances any more).
   */
  private static void writeAbandonedScript(Path dir, Identity identity, Settings settings) throws IOException {
    Path script = dir.resolve(AbandonedInstance.SCRIPT);
    Files.writeString(script, AbandonedInstance.script(settings.awsEnvironment(), identity.region(),
        identity.instanceId(), identity.fleetId()), StandardCharsets.UTF_8);
    // It holds credentials.
    Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
  }

  /**
   * When the image ({@code lower}) has cloud-init: its seed, into the overlay's upper layer, so that
   * cloud-init runs on the instance as on EC2. True when written.
   */
  static boolean seedCloudInit(Path lower, Path upper, Identity identity) throws IOException {
    if (!Files.exists(lower.resolve(InstanceOverrides.CLOUD_INIT), LinkOption.NOFOLLOW_LINKS)) {
      return false;
    }
    for (Map.Entry<String, String> file : InstanceOverrides.cloudInitSeed(identity.instanceId(),
        identity.userData()).entrySet()) {
      Path path = upper.resolve(file.getKey());
      Files.createDirectories(path.getParent());
      Files.writeString(path, file.getValue(), StandardCharsets.UTF_8);
    }
    return true;
  }

  /**
   * The instance's state as EC2 would name it: {@code running} while first-boot has not ended,
   * {@code shutting-down} after, {@code terminated} once the container is gone.
   */
  public String state() {
    if (!machine.running()) {
      return "terminated";
    }
    return Files.exists(machine.files().resolve(InstanceOverrides.ENDED)) ? "shutting-down" : "running";
  }

  /** Waits up to {@code timeout} for the container to end; true when it has. */
  public boolean awaitPowerOff(Duration timeout) {
    return machine.awaitExit(timeout);
  }

  /**
   * Halts the container (its systemd stops the first-boot unit, which passes SIGTERM to the job) and
   * waits until it is down.
   */
  public void halt(Halt why) {
    machine.stop(why.grace());
  }

  /** Starts a halt (see {@link #halt}) and returns at once; {@link #awaitPowerOff} waits for it. */
  public void requestHalt(Halt why) {
    machine.requestStop(why.grace());
  }

  /** Whether the container still runs. */
  public boolean running() {
    return machine.running();
  }

  /** What the metadata service serves at tags/instance from now on (tags change while an instance runs). */
  public void tags(Map<String, String> tags) {
    metadata.tags(tags);
  }

  /** The last lines first-boot logged on the instance, for when it left no exit status. */
  public List<String> firstBootLogTail() {
    Path log = machine.files().resolve("var/log/ami-pipeline/first-boot.log");
    try {
      List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
      return lines.subList(Math.max(0, lines.size() - LOG_TAIL), lines.size());
    } catch (IOException e) {
      return List.of("(no " + log.getFileName() + " on the instance: " + machine.consoleTail() + ")");
    }
  }

  /** Where the metadata stand-in listens (127.0.0.1 and a free port). */
  public URI metadataEndpoint() {
    return metadata.endpoint();
  }

  /** systemd-nspawn's exit code once the container is gone: 0 after a power-off. */
  public Optional<Integer> exitCode() {
    return machine.running() ? Optional.empty() : Optional.of(machine.exitCode());
  }

  /** Halts the container if it runs, deletes its folder (the overlay's changes), stops the metadata stand-in. */
  @Override
  public void close() {
    try {
      machine.close();
    } finally {
      metadata.close();
    }
  }
}
