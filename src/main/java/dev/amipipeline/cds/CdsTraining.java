package dev.amipipeline.cds;

import dev.amipipeline.aws.AwsClients;
import dev.amipipeline.aws.AwsSettings;
import dev.amipipeline.cli.Main;
import dev.amipipeline.common.Json;
import dev.amipipeline.project.ProjectRepository;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import picocli.CommandLine;
import software.amazon.awssdk.core.exception.SdkException;

/**
 * The AppCDS training run, not a command of {@code ami}: scripts/ami runs it once per jar
 * ({@code java -XX:ArchiveClassesAtExit=… -cp ami.jar dev.amipipeline.cds.CdsTraining [--help-only]})
 * to record the classes a real command loads in an archive, which the JVM then maps instead of
 * loading ~7,000 classes from the jar on every start. It renders every command's help, reads the
 * project files, and makes each AWS call the commands make, once, against a {@link TrainingEndpoint}
 * on loopback, so the classes that read answers are recorded too. Touches no AWS.
 */
public final class CdsTraining {

  static final String HELP_ONLY = "--help-only";

  private CdsTraining() {}

  public static void main(String[] args) throws IOException {
    System.exit(run(args));
  }

  /** {@code --help-only}: only what help and version load (their archive is kept small). */
  static int run(String... args) throws IOException {
    boolean helpOnly = List.of(args).equals(List.of(HELP_ONLY));
    if (args.length > 0 && !helpOnly) {
      System.err.println("usage: java -cp ami.jar " + CdsTraining.class.getName() + " [" + HELP_ONLY + "]");
      return 2;
    }
    renderHelp();
    if (!helpOnly) {
      readProjects();
      callEachOperation();
    }
    return 0;
  }

  /** As {@code ami --help}, {@code ami --version} and each command's help do. */
  private static void renderHelp() {
    PrintWriter sink = new PrintWriter(Writer.nullWriter());
    Main.run(sink, sink, "--help");
    Main.run(sink, sink, "--version");
    CommandLine ami = Main.commandLine(sink, sink);
    ami.getUsageMessage();
    ami.getSubcommands().values().forEach(CommandLine::getUsageMessage);
  }

  private static void readProjects() {
    Path projects = Path.of(System.getenv().getOrDefault("AMI_HOME", "."), "packer/projects");
    if (Files.isDirectory(projects)) {
      new ProjectRepository(projects).loadAll().forEach(p -> Json.write(p.spec()));
    }
  }

  /**
   * Every AWS operation the commands make, each once. CdsTrainingIT fails when a command makes one
   * that is missing here: its classes would then load from the jar at every start.
   */
  private static void callEachOperation() throws IOException {
    System.setProperty("aws.accessKeyId", "cds-training");
    System.setProperty("aws.secretAccessKey", "cds-training");
    System.setProperty("aws.maxAttempts", "1");
    try (TrainingEndpoint endpoint = TrainingEndpoint.start();
        AwsClients aws = AwsClients.create(new AwsSettings("us-east-1", null, endpoint.uri()))) {
      List<Runnable> calls = List.of(
          () -> aws.sts().getCallerIdentity(),
          () -> aws.ssm().getParameter(b -> b.name("/ami-pipeline/cds/ami-id")),
          () -> aws.ssm().getParameterHistoryPaginator(b -> b.name("/ami-pipeline/cds/ami-id")).stream().count(),
          () -> aws.ec2().describeImagesPaginator(b -> b.owners("self")).stream().count(),
          () -> aws.ec2().describeImages(b -> b.owners("amazon").filters(f -> f.name("name").values("cds-*"))),
          () -> aws.ec2().describeSnapshotsPaginator(b -> b.ownerIds("self")).stream().count(),
          () -> aws.ec2().describeInstancesPaginator(b -> b.maxResults(5)).stream().count(),
          () -> aws.ec2().describeLaunchTemplatesPaginator(b -> b.maxResults(5)).stream().count(),
          () -> aws.ec2().describeLaunchTemplateVersionsPaginator(b -> b.launchTemplateId("lt-12345678")).stream()
              .count(),
          () -> aws.ec2().describeInstanceTypesPaginator(b -> b.maxResults(100)).stream().count(),
          () -> aws.ec2().describeSpotPriceHistoryPaginator(b -> b.instanceTypesWithStrings("g5.xlarge")).stream()
              .count(),
          () -> aws.ec2().runInstances(b -> b.imageId("ami-12345678").minCount(1).maxCount(1)),
          () -> aws.ec2().createLaunchTemplate(b -> b.launchTemplateName("cds")
              .launchTemplateData(d -> d.imageId("ami-12345678"))),
          () -> aws.ec2().createLaunchTemplateVersion(b -> b.launchTemplateId("lt-12345678")
              .launchTemplateData(d -> d.imageId("ami-12345678"))),
          () -> aws.ec2().modifyLaunchTemplate(b -> b.launchTemplateId("lt-12345678").defaultVersion("1")),
          () -> aws.ec2().createFleet(b -> b.type("instant")
              .launchTemplateConfigs(c -> c.launchTemplateSpecification(t -> t.launchTemplateId("lt-12345678")))
              .targetCapacitySpecification(t -> t.totalTargetCapacity(2))),
          () -> aws.ec2().describeFleetsPaginator(b -> b.filters(f -> f.name("fleet-state").values("active"))).stream()
              .count(),
          () -> aws.ec2().describeFleetInstances(b -> b.fleetId("fleet-12345678")),
          () -> aws.ec2().deleteFleets(b -> b.fleetIds("fleet-12345678").terminateInstances(true)),
          () -> aws.ec2().deleteLaunchTemplate(b -> b.launchTemplateId("lt-12345678")),
          () -> aws.ec2().deregisterImage(b -> b.imageId("ami-12345678")),
          () -> aws.ec2().deleteSnapshot(b -> b.snapshotId("snap-12345678")),
          () -> aws.ec2().createTags(b -> b.resources("ami-12345678").tags(t -> t.key("k").value("v"))),
          () -> aws.ec2().getConsoleOutput(b -> b.instanceId("i-12345678")),
          () -> aws.ec2().terminateInstances(b -> b.instanceIds("i-12345678")),
          () -> aws.ec2().modifyImageAttribute(b -> b.imageId("ami-12345678").imdsSupport(a -> a.value("v2.0"))),
          () -> aws.ec2().waiter().waitUntilImageAvailable(b -> b.imageIds("ami-12345678")),
          () -> aws.ssm().putParameter(b -> b.name("/ami-pipeline/cds/lock").value("v").overwrite(false)),
          () -> aws.ssm().deleteParameter(b -> b.name("/ami-pipeline/cds/lock")),
          () -> aws.s3(aws.region()).headObject(b -> b.bucket("cds-training").key("k")),
          () -> aws.s3(aws.region()).listObjectsV2Paginator(b -> b.bucket("cds-training").prefix("cds/").delimiter("/"))
              .stream().count(),
          () -> aws.s3(aws.region()).getObjectAsBytes(b -> b.bucket("cds-training").key("cds/run.json")));
      calls.forEach(ignoringFailures());
    }
  }

  private static Consumer<Runnable> ignoringFailures() {
    return call -> {
      try {
        call.run();
      } catch (SdkException e) {
        // an answer the stand-in does not give: what loaded until then is still recorded
      }
    };
  }
}
