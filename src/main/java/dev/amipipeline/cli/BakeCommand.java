package dev.amipipeline.cli;

import dev.amipipeline.aws.AwsClients;
import dev.amipipeline.bake.Bake;
import dev.amipipeline.bake.BakeResult;
import dev.amipipeline.bake.BakeSettings;
import dev.amipipeline.bake.SshTarget;
import dev.amipipeline.common.AmiException;
import dev.amipipeline.common.Durations;
import dev.amipipeline.common.UserCache;
import dev.amipipeline.local.LocalBuilder;
import dev.amipipeline.local.LocalHost;
import dev.amipipeline.local.LocalPaths;
import dev.amipipeline.local.LocalRootReport;
import dev.amipipeline.local.RootCache;
import dev.amipipeline.project.Project;
import dev.amipipeline.project.ProjectValidator;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code ami bake}: run Packer, record the AMI in SSM, tags and ami-history.md. */
@Command(name = "bake",
    header = "Bake an AMI with Packer and record it (SSM, tags, ami-history.md).",
    mixinStandardHelpOptions = true, sortOptions = false,
    description = {
        "Packer installs git, the JDK, the GPU driver and the first-boot unit at bake",
        "time. The AMI and snapshot ids are recorded in SSM (<prefix>/<project>/ami-id,",
        "snapshot-ids, run), tagged, and appended to ami-history.md. One bake per",
        "project at a time (SSM <prefix>/<project>/bake-lock; exit 3 while another runs).",
        "",
        "With --endpoint-url and no --ssh-target (a local emulator) Packer runs with",
        "communicator=none: the real path, except that no provisioner runs.",
        "With --local-root (as root) a Debian root booted under systemd-nspawn stands",
        "in for the builder: the provisioners really run in it, and its root becomes the",
        "AMI's local image for 'ami launch --local'.",
        "",
        "Examples:",
        "  ami bake --project ml",
        "  ami bake --all --if-changed        # what the nightly job runs",
        "  ami bake --project ml --dry-run    # show the Packer command and inputs hash",
        "  ami bake --project ml --regions us-east-1,eu-west-1",
        "  ami bake --project demo --local-root   # provision for real on this machine",
        "",
        "Packer's steps are shown as they run; its full output (package managers and",
        "all) goes to a log file, one per bake, named when the bake starts and in the",
        "result; after a failure its last 30 lines are shown. --packer-output full",
        "shows every line as it comes.",
        ""},
    footerHeading = "%nExit codes:%n",
    footer = {
        "  0  baked, or unchanged with --if-changed",
        "  1  Packer or AWS failed (Packer's own error line is shown)",
        "  2  bad input; nothing was changed",
        "  3  another bake of the project holds the lock",
        "  4  packer is not installed",
        "  130  interrupted: Packer cleaned up, the lock was released"})
final class BakeCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  static final class Target {
    @Option(names = "--project", paramLabel = "P", required = true,
        description = "The project to bake (packer/projects/P.json).")
    String project;

    @Option(names = "--all", required = true, description = "Bake every project, one after another.")
    boolean all;
  }

  @ArgGroup(exclusive = true, multiplicity = "1")
  Target target;

  static final class Freshness {
    @Option(names = "--if-changed",
        description = "Skip the bake when the current AMI was baked from the same inputs.")
    boolean ifChanged;

    @Option(names = "--force", description = "Bake even when nothing changed.")
    boolean force;
  }

  @ArgGroup(exclusive = true, multiplicity = "0..1")
  Freshness freshness = new Freshness();

  @Option(names = "--dry-run",
      description = "Print the Packer command (secrets masked) and the inputs hash; change nothing.")
  boolean dryRun;

  @Option(names = "--packer", paramLabel = "PATH", defaultValue = "${env:AMI_PACKER:-packer}",
      description = "The packer binary (default: $AMI_PACKER, then packer on PATH).")
  String packer;

  @Option(names = "--regions", paramLabel = "R1,R2", split = ",",
      description = "Regions to bake in (default: the project's regions, else --region). The first builds;"
          + " the others receive copies.")
  List<String> regions;

  @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "2h",
      description = "Stop Packer after this long (default: ${DEFAULT-VALUE}).")
  String timeout;

  @Option(names = "--history", paramLabel = "FILE", defaultValue = "${env:AMI_HOME:-.}/ami-history.md",
      description = "The history file to append to (default: ${DEFAULT-VALUE}).")
  Path history;

  @Option(names = "--ssh-target", paramLabel = "HOST[:PORT]",
      description = "Let Packer SSH here instead of to the builder's address (a bastion; with --endpoint-url,"
          + " a local sshd standing in for the instance, which turns provisioning on).")
  String sshTarget;

  @Option(names = "--ssh-private-key", paramLabel = "FILE",
      description = "Key for --ssh-target that the base image already trusts (default: a temporary key pair).")
  Path sshPrivateKey;

  @Option(names = "--local-root",
      description = "With --endpoint-url (an emulator): provision for real in a Debian root booted under"
          + " systemd-nspawn on this machine (needs root); keep it as the new AMI's local image.")
  boolean localRoot;

  @Option(names = "--prepare-only",
      description = "With --local-root: only build what the project's local bakes start from (a Debian root"
          + " and a package cache, downloaded once per machine); bake nothing.")
  boolean prepareOnly;

  /** How much of Packer's output a bake shows; the log file always has all of it. */
  enum PackerOutputView { steps, full }

  @Option(names = "--packer-output", paramLabel = "steps|full", defaultValue = "steps",
      description = "What of Packer's output to show while it runs: steps (default: Packer's steps, the"
          + " provisioners' own lines, errors and artifacts) or full (every line, package managers included)."
          + " The log file always has every line.")
  PackerOutputView packerOutput;

  @Option(names = "--log-dir", paramLabel = "DIR",
      description = "Where each bake writes Packer's full output, one file per bake (default: $AMI_LOG_DIR, else"
          + " $XDG_CACHE_HOME/ami-pipeline/logs, else ~/.cache/ami-pipeline/logs; the newest 100 are kept).")
  Path logDir;

  @Option(names = "--deprecate-after", paramLabel = "DURATION",
      description = "Mark the new AMI deprecated this long after the bake, e.g. 90d (default: never).")
  String deprecateAfter;

  @Option(names = "--template", paramLabel = "FILE", defaultValue = "${env:AMI_HOME:-.}/packer/ami.pkr.hcl", hidden = true,
      description = "The Packer template (default: ${DEFAULT-VALUE}); provisioners/ beside it, launcher/ beside its folder.")
  Path template;

  @Mixin GlobalOptions global;

  @Override
  public Integer call() {
    AwsClients.warmUpInBackground();
    BakeSettings settings = settings();
    List<Project> projects = target.all ? global.projects().loadAll() : List.of(global.projects().load(target.project));
    if (projects.isEmpty()) {
      throw new AmiException.BadInput("no projects in " + global.projects().dir() + "; nothing to bake");
    }
    PrintWriter progress = Printer.progress(spec);
    if (localRoot) {
      LocalHost.require(LocalHost.BAKE_TOOLS, "ami bake --local-root");
    }
    if (prepareOnly) {
      Project project = projects.get(0);
      return Printer.print(spec, global, LocalRootReport.of(project.name(), localBuilder(progress).prepare(project)));
    }
    try (AwsClients aws = global.aws()) {
      Bake bake = new Bake(aws, settings, progress, Clock.systemUTC(), localRoot ? localBuilder(progress) : null);
      if (!target.all) {
        return Printer.print(spec, global, bake.bake(projects.get(0)));
      }
      List<BakeResult> results = new ArrayList<>();
      for (Project project : projects) {
        results.add(bakeOneOfAll(bake, project, progress));
      }
      return Printer.print(spec, global, new BakeResult.AllProjects(results));
    }
  }

  private LocalBuilder localBuilder(PrintWriter progress) {
    LocalPaths paths = LocalPaths.fromEnvironment(System.getenv());
    return new LocalBuilder(paths, new RootCache(paths.cache(), RootCache.mirror(System.getenv()), progress, logDir()),
        progress);
  }

  /** With --all a failed project is reported and the next one tried; Ctrl-C still stops them all. */
  private static BakeResult bakeOneOfAll(Bake bake, Project project, PrintWriter progress) {
    try {
      return bake.bake(project);
    } catch (AmiException.Interrupted e) {
      throw e;
    } catch (RuntimeException e) {
      ErrorPolicy.Verdict verdict = ErrorPolicy.judge(e);
      progress.println("ami: " + project.name() + ": " + verdict.message());
      progress.flush();
      return new BakeResult.Failed(project.name(), verdict.message(), verdict.exitCode());
    }
  }

  /** --log-dir, else $AMI_LOG_DIR, else the user's cache. */
  Path logDir() {
    if (logDir != null) {
      return logDir.toAbsolutePath().normalize();
    }
    String env = System.getenv("AMI_LOG_DIR");
    return env != null && !env.isBlank() ? Path.of(env).toAbsolutePath().normalize() : UserCache.logs(System.getenv());
  }

  /** Every option checked before any AWS call: bad input is exit 2 with nothing changed. */
  private BakeSettings settings() {
    Duration packerTimeout = Durations.parse(timeout, "--timeout");
    if (packerTimeout.isZero()) {
      throw new AmiException.BadInput("--timeout must be more than 0");
    }
    Duration deprecation = deprecateAfter == null ? null : Durations.parse(deprecateAfter, "--deprecate-after");
    if (deprecation != null && deprecation.isZero()) {
      throw new AmiException.BadInput("--deprecate-after must be more than 0; leave it out to never deprecate");
    }
    List<String> regionList = regions == null ? List.of() : regions.stream().map(String::strip).toList();
    for (String r : regionList) {
      if (!ProjectValidator.isKnownRegion(r)) {
        throw new AmiException.BadInput("--regions: '" + r + "' is not a known AWS region, e.g. us-east-1");
      }
    }
    if (regionList.stream().distinct().count() != regionList.size()) {
      throw new AmiException.BadInput("--regions lists a region twice");
    }
    if (prepareOnly && !localRoot) {
      throw new AmiException.BadInput("--prepare-only prepares what --local-root needs: add --local-root");
    }
    if (prepareOnly && target.all) {
      throw new AmiException.BadInput("--prepare-only prepares one project's local root: use --project P");
    }
    if (localRoot && !prepareOnly && global.awsSettings().endpointOverride().isEmpty()) {
      throw new AmiException.BadInput("--local-root provisions on this machine while an emulator plays EC2: add"
          + " --endpoint-url (e.g. eval \"$(scripts/local-aws env)\")");
    }
    if (localRoot && (sshTarget != null || dryRun)) {
      throw new AmiException.BadInput("--local-root boots its own builder and points Packer at it: drop "
          + (dryRun ? "--dry-run (it would boot nothing)" : "--ssh-target"));
    }
    if (logDir != null && Files.exists(logDir) && !Files.isDirectory(logDir)) {
      throw new AmiException.BadInput("--log-dir " + logDir + " is a file, not a folder");
    }
    if (sshPrivateKey != null && sshTarget == null) {
      throw new AmiException.BadInput("--ssh-private-key needs --ssh-target");
    }
    if (sshPrivateKey != null && !Files.isReadable(sshPrivateKey)) {
      throw new AmiException.BadInput("--ssh-private-key " + sshPrivateKey + " is not a readable file");
    }
    SshTarget ssh = sshTarget == null ? null : SshTarget.parse(sshTarget, sshPrivateKey);
    return new BakeSettings(global.ssmPrefix(), freshness.ifChanged, freshness.force, dryRun, packer, regionList,
        packerTimeout, history, template, ssh, deprecation, packerOutput == PackerOutputView.full, logDir());
  }
}
