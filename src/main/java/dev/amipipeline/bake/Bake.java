package dev.amipipeline.bake;

import dev.amipipeline.aws.AwsClients;
import dev.amipipeline.aws.AwsErrors;
import dev.amipipeline.common.AmiException;
import dev.amipipeline.common.Concurrently;
import dev.amipipeline.common.Elapsed;
import dev.amipipeline.common.WaitReporter;
import dev.amipipeline.history.HistoryFile;
import dev.amipipeline.leftovers.BakeLockHolder;
import dev.amipipeline.leftovers.LeakedBuilders;
import dev.amipipeline.project.ParameterNames;
import dev.amipipeline.project.Project;
import dev.amipipeline.project.ProjectParameters;
import dev.amipipeline.project.RunConfig;
import dev.amipipeline.project.Tags;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.ec2.model.Ec2Exception;
import software.amazon.awssdk.services.ec2.model.Image;

/**
 * One project's bake, start to end: resolve the base image, hash the inputs, skip when unchanged,
 * take the lock, run Packer, read the manifest, tag and harden each AMI, record it in SSM in every
 * region, append to ami-history.md. Failures are thrown as {@link AmiException}s; the lock is
 * released and Packer stopped on every way out, Ctrl-C included.
 */
public final class Bake {

  static final String PLUGINS_FILE = "plugins/required-plugins.pkr.hcl";
  /** The name of the threads that overlap a bake's independent steps. */
  private static final String BACKGROUND = "bake-background";
  private static final DateTimeFormatter NAME_STAMP =
      DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

  private final AwsClients aws;
  private final BakeSettings settings;
  private final PrintWriter progress;
  private final Clock clock;
  private final BuilderHost builderHost;

  public Bake(AwsClients aws, BakeSettings settings, PrintWriter progress, Clock clock) {
    this(aws, settings, progress, clock, null);
  }

  /** @param builderHost what Packer provisions instead of the builder instance; null = the instance itself */
  public Bake(AwsClients aws, BakeSettings settings, PrintWriter progress, Clock clock, BuilderHost builderHost) {
    this.aws = aws;
    this.settings = settings;
    this.progress = progress;
    this.clock = clock;
    this.builderHost = builderHost;
  }

  public BakeResult bake(Project project) {
    Instant started = clock.instant();
    List<String> regions = settings.regions().isEmpty() ? project.regionsOr(aws.region().id()) : settings.regions();
    Region buildRegion = Region.of(regions.get(0));
    PackerRunner packer = new PackerRunner(settings.packer(), aws.childEnvironment(buildRegion), progress);
    // Two short processes and the SSM client's set-up run while EC2 answers the first questions.
    CompletableFuture<PackerVersion> version = Concurrently.inBackground(BACKGROUND, packer::version);
    CompletableFuture<String> commit = Concurrently.inBackground(BACKGROUND,
        () -> GitCommit.head(settings.template().toAbsolutePath().getParent()));
    Concurrently.inBackground(BACKGROUND, () -> aws.ssm(buildRegion));
    Plan plan = plan(project, regions, started);
    if (settings.ifChanged() && !settings.force()) {
      Optional<String> current = imageWithInputs(plan);
      if (current.isPresent()) {
        return new BakeResult.Unchanged(project.name(), current.get(), plan.inputs(), plan.source().id());
      }
    }
    Recipe recipe = new Recipe(plan, Concurrently.await(version), Concurrently.await(commit));
    if (settings.dryRun()) {
      Path placeholder = Path.of(System.getProperty("java.io.tmpdir"), "ami-bake-" + project.name() + "-XXXX");
      return new BakeResult.DryRun(project.name(), plan.inputs(), plan.source().id(),
          recipe.build(placeholder, settings.ssh()).localMode(),
          recipe.commands(placeholder, settings.ssh()).stream().map(PackerArgv::display).toList());
    }
    return buildAndRecord(recipe, packer);
  }

  /** What a bake of a project starts from: regions, template, the resolved base image, the inputs hash. */
  private record Plan(Project project, List<String> regions, Path template, SourceImage source, String inputs,
      ParameterNames names, Instant started) {

    String buildRegion() {
      return regions.get(0);
    }

    Path templateDir() {
      return template.getParent();
    }

    Path launcherDir() {
      return templateDir().resolveSibling("launcher");
    }
  }

  private Plan plan(Project project, List<String> regions, Instant started) {
    Path template = settings.template().toAbsolutePath().normalize();
    if (!Files.isRegularFile(template)) {
      throw new AmiException.BadInput("no Packer template at " + settings.template()
          + ": run ami from the repository root (the folder with packer/)");
    }
    SourceImage source = SourceImages.resolve(aws.ec2(Region.of(regions.get(0))), project, regions.get(0));
    Path launcherDir = template.getParent().resolveSibling("launcher");
    String inputs = InputsHash.of(InputFiles.collect(template, project.file(), launcherDir), source.id());
    return new Plan(project, regions, template, source, inputs,
        new ParameterNames(settings.ssmPrefix(), project.name()), started);
  }

  /** The Packer side of a plan: names, tags, the build's variables and the commands. */
  private final class Recipe {
    final Plan plan;
    final PackerVersion version;
    final String commit;
    final String amiName;
    final Map<String, String> tags;

    Recipe(Plan plan, PackerVersion version, String commit) {
      this.plan = plan;
      this.version = version;
      this.commit = commit;
      String name = plan.project().name() + "-" + NAME_STAMP.format(plan.started());
      this.amiName = name + "-" + UUID.randomUUID().toString().substring(0, 8); // AMI names must be unique
      this.tags = imageTags(plan.project().name(), plan.inputs(), plan.source().id(), commit, name);
    }

    BuildSpec build(Path workDir, SshTarget ssh) {
      String project = plan.project().name();
      return new BuildSpec(project, settings.ssmPrefix(), plan.buildRegion(),
          plan.regions().subList(1, plan.regions().size()), plan.source(), plan.project().spec().bake(),
          aws.endpoint().orElse(null), ssh, amiName,
          "ami-pipeline " + project + " (inputs " + InputsHash.shortForm(plan.inputs()) + ")", tags,
          Map.of(Tags.BUILDER, project, Tags.NAME, "ami-pipeline builder " + project),
          workDir.resolve("manifest.json"), plan.templateDir().resolve("provisioners"), plan.launcherDir());
    }

    /** {@code packer build}, after {@code packer init} on a staged folder when the Packer needs plugins. */
    List<List<String>> commands(Path workDir, SshTarget ssh) {
      List<List<String>> commands = new ArrayList<>();
      Path template = plan.template();
      if (version.needsPluginInit()) {
        template = workDir.resolve("template");
        commands.add(PackerArgv.init(settings.packer(), template));
      }
      commands.add(PackerArgv.build(settings.packer(), PackerArgv.variables(build(workDir, ssh)), template));
      return commands;
    }
  }

  /** Under the lock: run Packer, then tag, harden and record what it made. */
  private BakeResult.Baked buildAndRecord(Recipe recipe, PackerRunner packer) {
    Plan plan = recipe.plan;
    String project = plan.project().name();
    BakeLock lock = new BakeLock(aws.ssm(Region.of(plan.buildRegion())), plan.names(), clock, progress,
        BakeLockHolder.Processes.local());
    try (Interruption interruption = Interruption.install(packer::interrupt);
        BakeLock.Lease lease = lock.acquire(BakeLockHolder.thisProcess(plan.started()));
        WorkDir work = WorkDir.create(project);
        BuilderHost.Session builder = builderHost == null ? null : builderHost.start(plan.project());
        BakeLog log = BakeLog.open(settings.logDir(), "bake-" + recipe.amiName, settings.fullPackerOutput(), progress,
            clock, project, plan.started())) {
      endLeakedBuilders(plan, "an earlier bake left it running");
      SshTarget ssh = builder == null ? settings.ssh() : builder.target();
      BuildSpec build = recipe.build(work.path(), ssh);
      if (build.localMode()) {
        progress.println("ami: local mode (endpoint " + build.ec2Endpoint() + ", no --ssh-target): Packer runs with"
            + " communicator=none, so no provisioner runs");
        progress.flush();
      }
      if (recipe.version.needsPluginInit()) {
        stageTemplate(plan.template(), work.path().resolve("template"));
      }
      boolean packerSucceeded = false;
      try {
        for (List<String> command : recipe.commands(work.path(), ssh)) {
          stopIfInterrupted(interruption, project);
          runPacker(packer, command, work.path(), project, log, interruption);
        }
        packerSucceeded = true;
      } finally {
        if (!packerSucceeded) {
          endLeakedBuilders(plan, "Packer exited and left it running");
        }
      }
      // A Packer that succeeded ended its builder: the check for one it missed runs while the AMI
      // is recorded, and ends before the lock is released.
      CompletableFuture<Void> leftovers = Concurrently.inBackground(BACKGROUND, () -> {
        endLeakedBuilders(plan, "Packer exited and left it running");
        return null;
      });
      try {
        Map<String, String> amis = readManifest(build.manifest(), plan.regions());
        List<String> notes = new ArrayList<>();
        if (builder != null) {
          stopIfInterrupted(interruption, project);
          notes.addAll(builder.keep(plan.regions().stream().map(amis::get).toList()));
        }
        return record(recipe, build, amis, notes, log.path());
      } finally {
        Concurrently.await(leftovers);
      }
    }
  }

  /**
   * Under the lock and with no Packer of ours running, a live builder of the project is a leak (a
   * killed bake's, or one whose terminate call failed): end it with its key pair and group. Never
   * fails the bake; what cannot be removed now, ami prune removes later.
   */
  private void endLeakedBuilders(Plan plan, String why) {
    String project = plan.project().name();
    try {
      LeakedBuilders.end(aws.ec2(Region.of(plan.buildRegion())), project,
              line -> progress.println("ami: builder of " + project + " (" + why + "): " + line))
          .forEach((resource, reason) -> progress.println("ami: warning: could not remove " + resource + ": " + reason
              + "; ami prune removes it later"));
    } catch (SdkException e) {
      progress.println("ami: warning: could not look for leaked builders of " + project + ": " + e.getMessage()
          + "; ami prune removes them later");
    }
    progress.flush();
  }

  /** Every AMI available, tagged and hardened first; then SSM in each region; then the history. */
  private BakeResult.Baked record(Recipe recipe, BuildSpec build, Map<String, String> amis, List<String> notes,
      Path log) {
    Plan plan = recipe.plan;
    ImageRecorder recorder = new ImageRecorder(aws, WaitReporter.printingTo(progress, "ami: "));
    Instant deprecateAt = settings.deprecateAfter() == null ? null : plan.started().plus(settings.deprecateAfter());
    Map<String, List<String>> snapshots = new LinkedHashMap<>();
    for (String region : plan.regions()) {
      snapshots.put(region, recorder.finish(region, amis.get(region), recipe.tags, deprecateAt, notes));
    }
    String runConfig = RunConfig.of(plan.project().spec().run()).toJson();
    List<BakeResult.RegionImage> images = new ArrayList<>();
    for (String region : plan.regions()) {
      long version = recorder.record(region, plan.names(), amis.get(region), snapshots.get(region), runConfig);
      images.add(new BakeResult.RegionImage(region, amis.get(region), snapshots.get(region), version));
    }
    BakeResult.Baked baked = new BakeResult.Baked(plan.project().name(), images, plan.inputs(), plan.source().id(),
        recipe.commit, recipe.amiName, plan.started().toString(),
        Duration.between(plan.started(), clock.instant()).toSeconds(), !build.localMode(), notes, log.toString());
    new HistoryFile(settings.history()).update(table -> table.append(baked.historyRows()));
    return baked;
  }

  /** The contract tags of an AMI and each of its snapshots. */
  static Map<String, String> imageTags(String project, String inputs, String sourceAmi, String commit, String name) {
    Map<String, String> tags = new LinkedHashMap<>();
    tags.put(Tags.PROJECT, project);
    tags.put(Tags.INPUTS, inputs);
    tags.put(Tags.SOURCE_AMI, sourceAmi);
    tags.put(Tags.COMMIT, commit);
    tags.put(Tags.NAME, name);
    return tags;
  }

  /** The current AMI (SSM ami-id) when it still exists and was baked from {@code inputs}. */
  private Optional<String> imageWithInputs(Plan plan) {
    Region region = Region.of(plan.buildRegion());
    Optional<String> current = new ProjectParameters(aws.ssm(region), plan.names()).currentAmiId();
    if (current.isEmpty()) {
      return Optional.empty();
    }
    List<Image> images;
    try {
      images = aws.ec2(region).describeImages(b -> b.imageIds(current.get())).images();
    } catch (Ec2Exception e) {
      if (AwsErrors.noSuchImage(e)) {
        return Optional.empty(); // deregistered since: bake a new one
      }
      throw e; // denied, throttled, broken: whether it changed is unknown, so the bake stops
    }
    boolean same = images.stream().flatMap(i -> i.tags().stream())
        .anyMatch(t -> t.key().equals(Tags.INPUTS) && t.value().equals(plan.inputs()));
    return same ? current : Optional.empty();
  }

  private void runPacker(PackerRunner packer, List<String> command, Path workDir, String project, BakeLog log,
      Interruption interruption) {
    log.command(command);
    PackerRunner.Outcome outcome = packer.run(command, workDir, settings.timeout(), log::accept);
    if (interruption.received()) {
      log.showWhere();
    } else if (!outcome.succeeded()) {
      log.showFailure();
    }
    stopIfInterrupted(interruption, project);
    if (outcome.timedOut()) {
      throw new AmiException.Failed("Packer did not finish within " + Elapsed.words(settings.timeout())
          + " and was stopped (it removed its builder instance); raise --timeout if the bake needs longer");
    }
    if (outcome.exitCode() != 0) {
      String why = PackerOutput.errorLine(outcome.tail()).orElse("exit code " + outcome.exitCode());
      throw new AmiException.Failed("packer " + command.get(1) + " failed for " + project + ": " + why);
    }
  }

  private static void stopIfInterrupted(Interruption interruption, String project) {
    if (interruption.received()) {
      throw new AmiException.Interrupted("interrupted: Packer was stopped and cleaned up, nothing was recorded,"
          + " and the bake lock of " + project + " is released");
    }
  }

  private static Map<String, String> readManifest(Path manifest, List<String> regions) {
    String json;
    try {
      json = Files.readString(manifest, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new AmiException.Failed("Packer succeeded but wrote no manifest at " + manifest + ": " + e.getMessage(), e);
    }
    Map<String, String> amis = PackerManifest.amiIdsByRegion(json);
    for (String region : regions) {
      if (!amis.containsKey(region)) {
        throw new AmiException.Failed("Packer made no AMI in " + region + " (its manifest lists " + amis.keySet() + ")");
      }
    }
    return amis;
  }

  /** Packer ≥ 1.7 reads a folder: the template plus the required_plugins block it needs. */
  private static void stageTemplate(Path template, Path folder) {
    try {
      Files.createDirectories(folder);
      Files.copy(template, folder.resolve(template.getFileName()), StandardCopyOption.REPLACE_EXISTING);
      Files.copy(template.resolveSibling(PLUGINS_FILE), folder.resolve("required-plugins.pkr.hcl"),
          StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new AmiException.Failed("cannot prepare the template for Packer in " + folder + ": " + e.getMessage(), e);
    }
  }

  /** The bake's scratch folder (manifest, staged template), removed when the bake ends. */
  private record WorkDir(Path path) implements AutoCloseable {
    static WorkDir create(String project) {
      try {
        return new WorkDir(Files.createTempDirectory("ami-bake-" + project + "-"));
      } catch (IOException e) {
        throw new AmiException.Failed("cannot create a temporary folder for the bake: " + e.getMessage(), e);
      }
    }

    @Override
    public void close() {
      try (Stream<Path> files = Files.walk(path)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      } catch (IOException e) {
        // leftover scratch files in the temp folder are harmless
      }
    }
  }
}
