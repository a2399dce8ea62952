package dev.amipipeline.cds;

import static org.assertj.core.api.Assertions.assertThat;

import dev.amipipeline.aws.AwsClients;
import dev.amipipeline.launch.AwsCallLog;
import dev.amipipeline.launch.Bakes;
import dev.amipipeline.runs.InstanceSide;
import dev.amipipeline.testing.Cli;
import dev.amipipeline.testing.MotoExtension;
import dev.amipipeline.testing.MotoServer;
import dev.amipipeline.testing.Shell;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The AppCDS archive scripts/ami maps holds the classes the training run loaded. Each AWS operation
 * has classes of its own (request, response, marshallers): one the commands make and the training
 * run does not is loaded from the jar at every start. So the training run must make every operation
 * the commands make; this records both against the emulator (the commands) and the training's
 * stand-in, and compares them.
 */
@ExtendWith(MotoExtension.class)
class CdsTrainingIT {

  private static final List<String> TRAINING_PROPERTIES = List.of("aws.accessKeyId", "aws.secretAccessKey",
      "aws.maxAttempts");

  @TempDir Path tmp;

  @Test
  void theTrainingRunMakesEveryAwsOperationTheCommandsMake(MotoServer moto) throws Exception {
    try (AwsClients aws = Bakes.aws(moto)) {
      aws.s3(aws.region()).createBucket(b -> b.bucket("ami-pipeline-demo-logs")); // demo's logUri
    }
    Set<String> commands = recorded(() -> {
      bake(moto);
      bake(moto, "--force"); // a second image, so prune below deletes one
      String run = runId(command(moto, "launch", "--project", "demo", "--spot", "--wait"));
      command(moto, "runs");
      command(moto, "logs", run); // nothing in S3: the console output
      command(moto, "cancel", run);
      command(moto, "launch", "--project", "demo", "--spot", "--count", "2"); // an instant fleet
      command(moto, "launch", "--project", "demo", "--template-only");
      command(moto, "launch", "--project", "demo", "--template-only"); // a new version of it
      String recovering = runId(command(moto, "launch", "--project", "demo", "--spot", "--recover", "--wait"));
      command(moto, "cancel", recovering); // deletes its fleet
      leakedFleet(moto); // prune below deletes it
      command(moto, "launch", "--project", "demo", "--gpus", "24GB+:1", "--spot", "--list"); // the type chooser
      command(moto, "list");
      command(moto, "prune", "--keep", "1", "--history", history());
    });
    Set<String> training = recorded(CdsTrainingIT::train);

    assertThat(commands).as("what the commands were recorded making").contains("Ec2:RunInstances",
        "Ec2:CreateFleet", "Ec2:DescribeFleets", "Ec2:DescribeFleetInstances", "Ec2:DeleteFleets", "Ec2:DeregisterImage", "Ssm:PutParameter", "Ec2:DescribeInstanceTypes",
        "Ec2:DescribeSpotPriceHistory", "S3:ListObjectsV2", "S3:GetObject", "Ec2:GetConsoleOutput",
        "Ec2:TerminateInstances");
    assertThat(training)
        .as("operations the commands make that CdsTraining does not (each would load from the jar at every start)")
        .containsAll(commands);
  }

  private static String runId(String launched) {
    return launched.lines().findFirst().orElseThrow().substring("run ".length());
  }

  /**
   * A recovering run that ended (its run.json written as the instance side writes it) and whose fleet
   * is left active. Its instance is left stopped: moto cannot delete a fleet whose instances are all
   * terminated (see LeakedFleetIT).
   */
  private static void leakedFleet(MotoServer moto) {
    String run = runId(command(moto, "launch", "--project", "demo", "--spot", "--recover"));
    AwsCallLog.stop(); // the instance side's calls are not the commands'
    try (AwsClients aws = Bakes.aws(moto)) {
      String instance = aws.ec2().describeInstances(b -> b.filters(f -> f.name("tag:ami-pipeline:run").values(run)))
          .reservations().get(0).instances().get(0).instanceId();
      new InstanceSide(aws.s3(aws.region()), "ami-pipeline-demo-logs", "runs/demo/").ended(run, instance, "t3.micro",
          "done\n", new InstanceSide.End(0, "exited", 1, Instant.now().minusSeconds(60), Instant.now()), 1);
      aws.ec2().stopInstances(b -> b.instanceIds(instance));
    } finally {
      AwsCallLog.resume();
    }
  }

  private void bake(MotoServer moto, String... more) {
    List<String> args = new ArrayList<>(List.of("bake", "--project", "demo",
        "--template", Shell.REPO.resolve("packer/ami.pkr.hcl").toString(), "--history", history()));
    args.addAll(List.of(more));
    command(moto, args.toArray(String[]::new));
  }

  private String history() {
    return tmp.resolve("ami-history.md").toString();
  }

  /** Runs one command, which must succeed; what it printed. */
  private static String command(MotoServer moto, String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(1, List.of("--projects-dir", Shell.REPO.resolve("packer/projects").toString()));
    Cli.Result r = Cli.run(moto, all.toArray(String[]::new));
    assertThat(r.exitCode()).as(String.join(" ", args) + ":\n" + r.err()).isZero();
    return r.out();
  }

  /** The training run in this JVM, its credentials and retry settings undone afterwards. */
  private static void train() throws Exception {
    Map<String, String> saved = new HashMap<>();
    TRAINING_PROPERTIES.forEach(p -> saved.put(p, System.getProperty(p)));
    try {
      assertThat(CdsTraining.run()).isZero();
    } finally {
      saved.forEach((p, value) -> {
        if (value == null) {
          System.clearProperty(p);
        } else {
          System.setProperty(p, value);
        }
      });
    }
  }

  /** The AWS operations ("Ec2:RunInstances") {@code work} makes, each once. */
  private static Set<String> recorded(Work work) throws Exception {
    AwsCallLog.start();
    try {
      work.run();
    } finally {
      AwsCallLog.stop();
    }
    return new TreeSet<>(AwsCallLog.calls());
  }

  private interface Work {
    void run() throws Exception;
  }
}
