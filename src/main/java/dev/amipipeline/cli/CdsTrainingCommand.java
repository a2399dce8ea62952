package dev.amipipeline.cli;

import dev.amipipeline.aws.AwsClients;
import dev.amipipeline.aws.AwsSettings;
import dev.amipipeline.common.Json;
import dev.amipipeline.project.ProjectRepository;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import software.amazon.awssdk.core.exception.SdkException;

/**
 * {@code ami cds-training}: loads the classes a real command loads (picocli help, Jackson, project
 * files, every SDK client and one request and answer each, against a {@link TrainingEndpoint} on
 * loopback) so scripts/ami can record them in an AppCDS archive. The JVM then maps them instead of
 * loading ~7,000 classes from the jar on every start. Touches no AWS.
 */
@Command(name = "cds-training", hidden = true, description = "Load the classes commands use, for an AppCDS archive.")
final class CdsTrainingCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Option(names = "--help-only", description = "Only render the usage messages (for help and version).")
  boolean helpOnly;

  @Override
  public Integer call() throws IOException {
    spec.root().commandLine().getUsageMessage();
    spec.root().subcommands().values().forEach(c -> c.getUsageMessage());
    if (helpOnly) {
      return 0;
    }
    Path projects = Path.of(System.getenv().getOrDefault("AMI_HOME", "."), "packer/projects");
    if (Files.isDirectory(projects)) {
      new ProjectRepository(projects).loadAll().forEach(p -> Json.write(p.spec()));
    }
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
          () -> aws.ec2().runInstances(b -> b.imageId("ami-12345678").minCount(1).maxCount(1)),
          () -> aws.ec2().deregisterImage(b -> b.imageId("ami-12345678")),
          () -> aws.ec2().deleteSnapshot(b -> b.snapshotId("snap-12345678")),
          () -> aws.ec2().createTags(b -> b.resources("ami-12345678").tags(t -> t.key("k").value("v"))),
          () -> aws.ec2().modifyImageAttribute(b -> b.imageId("ami-12345678").imdsSupport(a -> a.value("v2.0"))),
          () -> aws.ec2().waiter().waitUntilImageAvailable(b -> b.imageIds("ami-12345678")),
          () -> aws.ssm().putParameter(b -> b.name("/ami-pipeline/cds/lock").value("v").overwrite(false)),
          () -> aws.ssm().deleteParameter(b -> b.name("/ami-pipeline/cds/lock")),
          () -> aws.s3(aws.region()).headObject(b -> b.bucket("cds-training").key("k")));
      calls.forEach(ignoringFailures());
    }
    return 0;
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
