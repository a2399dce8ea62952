package dev.amipipeline.bake;

import dev.amipipeline.aws.AwsClients;
import dev.amipipeline.common.AmiException;
import dev.amipipeline.history.HistoryFile;
import dev.amipipeline.project.ParameterNames;
import dev.amipipeline.project.Project;
import dev.amipipeline.project.ProjectParameters;
import dev.amipipeline.project.RunConfig;
import dev.amipipeline.project.Tags;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetAddress;
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
import java.util.function.Function;
import java.util.stream.Stream;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.ec2.model.Image;

/**
 * One project's bake, start to end: resolve the base image, hash the inputs, skip when unchanged,
 * take the lock, run Packer, read the manifest, tag and harden each AMI, record it in SSM in every
 * region, append to ami-history.md. Failures are thrown as {@link AmiException}s; the lock is
 * released and Packer stopped on every way out, Ctrl-C included.
 */
public final class Bake {

  static final String PLUGINS_FILE = "plugins/required-plugins.pkr.hcl";
  private static final DateTimeFormatter NAME_STAMP =
      DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

  private final AwsClients aws;
  private final BakeSettings settings;
  private final PrintWriter progress;
  private final Clock clock;

  public Bake(AwsClients aws, BakeSettings settings, PrintWriter progress, Clock clock) {
    this.aws = aws;
    this.settings = settings;
    this.progress = progress;
    this.clock = clock;
  }

  public BakeResult bake(Project project) {
    Instant started = clock.instant();
    List<String> regions = settings.regions().isEmpty() ? project.regionsOr(aws.region().id()) : settings.regions();
    String buildRegion = regions.get(0);
    Path template = settings.template().toAbsolutePath().normalize();
    if (!Files.isRegularFile(template)) {
      throw new AmiException.BadInput("no Packer template at " + settings.template()
          + ": run ami from the repository root (the folder with packer/)");
    }
    Path templateDir = template.getParent();
    Path launcherDir = templateDir.resolveSibling("launcher");

    SourceImage source = SourceImages.resolve(aws.ec2(Region.of(buildRegion)), project, buildRegion);
    String inputs = InputsHash.of(InputFiles.collect(template, project.file(), launcherDir), source.id());
    ParameterNames names = new ParameterNames(settings.ssmPrefix(), project.name());
    if (settings.ifChanged() && !settings.force()) {
      Optional<String> current = imageWithInputs(buildRegion, names, inputs);
      if (current.isPresent()) {
        return new BakeResult.Unchanged(project.name(), current.get(), inputs, source.id());
      }
    }

    PackerRunner packer = new PackerRunner(settings.packer(), aws.childEnvironment(Region.of(buildRegion)), progress, clock);
    PackerVersion version = packer.version();
    String commit = GitCommit.head(templateDir);
    String name = project.name() + "-" + NAME_STAMP.format(started);
    String amiName = name + "-" + UUID.randomUUID().toString().substring(0, 8);
    Map<String, String> tags = imageTags(project.name(), inputs, source.id(), commit, name);
    Function<Path, BuildSpec> buildIn = workDir -> new BuildSpec(project.name(), settings.ssmPrefix(), buildRegion,
        regions.subList(1, regions.size()), source, project.spec().bake(), aws.endpoint().orElse(null), settings.ssh(),
        amiName, "ami-pipeline " + project.name() + " (inputs " + InputsHash.shortForm(inputs) + ")", tags,
        Map.of(Tags.BUILDER, project.name(), Tags.NAME, "ami-pipeline builder " + project.name()),
        workDir.resolve("manifest.json"), templateDir.resolve("provisioners"), launcherDir);

    Path placeholder = Path.of(System.getProperty("java.io.tmpdir"), "ami-bake-" + project.name() + "-XXXX");
    BuildSpec preview = buildIn.apply(placeholder);
    if (settings.dryRun()) {
      return new BakeResult.DryRun(project.name(), inputs, source.id(), preview.localMode(),
          commands(version, preview, template, placeholder).stream().map(PackerArgv::display).toList());
    }
    BakeLock lock = new BakeLock(aws.ssm(Region.of(buildRegion)), names, clock, progress);
    try (Interruption interruption = Interruption.install(packer::interrupt);
        BakeLock.Lease lease = lock.acquire(new BakeLock.Holder(hostName(), ProcessHandle.current().pid(), started));
        WorkDir work = WorkDir.create(project.name())) {
      BuildSpec build = buildIn.apply(work.path());
      if (build.localMode()) {
        progress.println("ami: local mode (endpoint " + build.ec2Endpoint() + ", no --ssh-target): Packer runs with"
            + " communicator=none, so no provisioner runs");
        progress.flush();
      }
      if (version.needsPluginInit()) {
        stageTemplate(template, work.path().resolve("template"));
      }
      for (List<String> command : commands(version, build, template, work.path())) {
        stopIfInterrupted(interruption, project);
        runPacker(packer, command, work.path(), project, started, interruption);
      }
      stopIfInterrupted(interruption, project);
      Map<String, String> amis = readManifest(build.manifest(), regions);

      ImageRecorder recorder = new ImageRecorder(aws);
      List<String> notes = new ArrayList<>();
      Instant deprecateAt = settings.deprecateAfter() == null ? null : started.plus(settings.deprecateAfter());
      Map<String, List<String>> snapshots = new LinkedHashMap<>();
      for (String region : regions) {
        snapshots.put(region, recorder.finish(region, amis.get(region), tags, deprecateAt, notes));
      }
      String runConfig = RunConfig.of(project.spec().run()).toJson();
      List<BakeResult.RegionImage> images = new ArrayList<>();
      for (String region : regions) {
        long v = recorder.record(region, names, amis.get(region), snapshots.get(region), runConfig);
        images.add(new BakeResult.RegionImage(region, amis.get(region), snapshots.get(region), v));
      }
      BakeResult.Baked baked = new BakeResult.Baked(project.name(), images, inputs, source.id(), commit,
          build.amiName(), started.toString(), Duration.between(started, clock.instant()).toSeconds(),
          !build.localMode(), notes);
      new HistoryFile(settings.history()).update(table -> table.append(baked.historyRows()));
      return baked;
    }
  }

  /** {@code packer build}, after {@code packer init} when the Packer needs plugins (then on a staged folder). */
  private List<List<String>> commands(PackerVersion version, BuildSpec build, Path template, Path workDir) {
    List<List<String>> commands = new ArrayList<>();
    Path packerTemplate = template;
    if (version.needsPluginInit()) {
      packerTemplate = workDir.resolve("template");
      commands.add(PackerArgv.init(settings.packer(), packerTemplate));
    }
    commands.add(PackerArgv.build(settings.packer(), PackerArgv.variables(build), packerTemplate));
    return commands;
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
  private Optional<String> imageWithInputs(String region, ParameterNames names, String inputs) {
    Optional<String> current = new ProjectParameters(aws.ssm(Region.of(region)), names).currentAmiId();
    if (current.isEmpty()) {
      return Optional.empty();
    }
    List<Image> images;
    try {
      images = aws.ec2(Region.of(region)).describeImages(b -> b.imageIds(current.get())).images();
    } catch (software.amazon.awssdk.services.ec2.model.Ec2Exception e) {
      return Optional.empty(); // deregistered since: bake a new one
    }
    boolean same = images.stream().flatMap(i -> i.tags().stream())
        .anyMatch(t -> t.key().equals(Tags.INPUTS) && t.value().equals(inputs));
    return same ? current : Optional.empty();
  }

  private void runPacker(PackerRunner packer, List<String> command, Path workDir, Project project, Instant started,
      Interruption interruption) {
    PackerRunner.Outcome outcome = packer.run(command, workDir, settings.timeout(), project.name(), started);
    stopIfInterrupted(interruption, project);
    if (outcome.timedOut()) {
      throw new AmiException.Failed("Packer did not finish within " + Elapsed.words(settings.timeout())
          + " and was stopped (it removed its builder instance); raise --timeout if the bake needs longer");
    }
    if (outcome.exitCode() != 0) {
      String why = PackerOutput.errorLine(outcome.tail()).orElse("exit code " + outcome.exitCode());
      throw new AmiException.Failed("packer " + command.get(1) + " failed for " + project.name() + ": " + why);
    }
  }

  private static void stopIfInterrupted(Interruption interruption, Project project) {
    if (interruption.received()) {
      throw new AmiException.Interrupted("interrupted: Packer was stopped and cleaned up, nothing was recorded,"
          + " and the bake lock of " + project.name() + " is released");
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

  private static String hostName() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      return Optional.ofNullable(System.getenv("HOSTNAME")).orElse("unknown-host");
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
