package dev.amipipeline.local;

import static org.assertj.core.api.Assertions.assertThat;

import dev.amipipeline.aws.AwsClients;
import dev.amipipeline.aws.AwsSettings;
import dev.amipipeline.project.ParameterNames;
import dev.amipipeline.project.ProjectParameters;
import dev.amipipeline.project.ProjectRepository;
import dev.amipipeline.project.RunConfig;
import dev.amipipeline.testing.Cli;
import dev.amipipeline.testing.Ec2Seed;
import dev.amipipeline.testing.MotoExtension;
import dev.amipipeline.testing.MotoServer;
import dev.amipipeline.testing.Shell;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Local mode's bad input: one line, exit 2, nothing launched, baked or booted. The run configuration
 * and a recorded AMI are seeded in the emulator as a bake leaves them; no local image is made, so
 * nothing here needs root's containers.
 */
@ExtendWith(MotoExtension.class)
class LocalInputIT {

  static final String PROJECTS = Shell.REPO.resolve("packer/projects").toString();

  AwsClients aws;

  @BeforeEach
  void clients(MotoServer moto) {
    aws = AwsClients.create(new AwsSettings(MotoServer.REGION, null, moto.endpoint()));
  }

  @AfterEach
  void close() {
    aws.close();
  }

  static Stream<Arguments> flagsThatCannotWork() {
    return Stream.of(
        Arguments.of(List.of("launch", "--project", "demo", "--spot-interrupt-after", "10s"), "add --local"),
        Arguments.of(List.of("launch", "--project", "demo", "--local", "--count", "0"), "--count must be at least 1"),
        Arguments.of(List.of("launch", "--project", "demo", "--local", "--count", "5"), "use --count 4 or less"),
        Arguments.of(List.of("launch", "--project", "demo", "--local", "--count", "2", "--recover"),
            "drop --recover"),
        Arguments.of(List.of("launch", "--project", "demo", "--local", "--count", "2", "--spot",
            "--spot-interrupt-after", "5s"), "drop it, or --count"),
        Arguments.of(List.of("launch", "--project", "demo", "--local", "--spot", "--spot-interrupt-after", "soon"),
            "--spot-interrupt-after"),
        Arguments.of(List.of("launch", "--project", "demo", "--local", "--spot-interrupt-after", "5s"), "add --spot"),
        Arguments.of(List.of("bake", "--project", "demo", "--local-root", "--dry-run"), "drop --dry-run"),
        Arguments.of(List.of("bake", "--project", "demo", "--local-root", "--ssh-target", "127.0.0.1:22"),
            "drop --ssh-target"),
        Arguments.of(List.of("bake", "--project", "demo", "--prepare-only"), "add --local-root"),
        Arguments.of(List.of("bake", "--all", "--local-root", "--prepare-only"), "use --project P"));
  }

  @ParameterizedTest
  @MethodSource("flagsThatCannotWork")
  void flagsThatCannotWorkTogetherAreExit2AndLaunchNothing(List<String> args, String advice, MotoServer moto) {
    Cli.Result r = Cli.run(moto, withProjects(args));

    assertThat(r.exitCode()).as(r.err()).isEqualTo(2);
    assertThat(r.errLines()).singleElement().asString().contains(advice);
    assertThat(aws.ec2().describeInstances().reservations()).isEmpty();
  }

  @Test
  void withoutAnEmulatorThereIsNothingToBootAgainst() {
    for (String command : List.of("launch", "bake")) {
      List<String> args = new ArrayList<>(List.of(command, "--project", "demo", "--region", MotoServer.REGION,
          command.equals("launch") ? "--local" : "--local-root"));
      Cli.Result r = Cli.run(withProjects(args));

      assertThat(r.exitCode()).as(r.err()).isEqualTo(2);
      assertThat(r.errLines()).singleElement().asString().contains("add --endpoint-url");
    }
  }

  @Test
  void aMissingLogBucketOrLocalImageIsExit2BeforeRunInstances(MotoServer moto) {
    String amiId = seedBake();

    Cli.Result noBucket = Cli.run(moto, withProjects(List.of("launch", "--project", "demo", "--local")));
    assertThat(noBucket.exitCode()).as(noBucket.err()).isEqualTo(2);
    assertThat(noBucket.errLines()).singleElement().asString()
        .contains("bucket ami-pipeline-demo-logs does not exist", "aws s3 mb s3://ami-pipeline-demo-logs");

    aws.s3(aws.region()).createBucket(b -> b.bucket("ami-pipeline-demo-logs"));
    Cli.Result noImage = Cli.run(moto, withProjects(List.of("launch", "--project", "demo", "--local")));
    assertThat(noImage.exitCode()).as(noImage.err()).isEqualTo(2);
    assertThat(noImage.errLines()).singleElement().asString()
        .contains("no local image of " + amiId, "ami bake --project demo --local-root");

    assertThat(aws.ec2().describeInstances().reservations()).as("nothing launched").isEmpty();
  }

  /** An AMI of demo recorded in SSM with demo's run configuration, as a bake leaves it. */
  private String seedBake() {
    Ec2Seed.SeededImage image = new Ec2Seed(aws.ec2()).bakedImage("demo", "demo-seeded", 1);
    String runConfig = RunConfig.of(new ProjectRepository(Shell.REPO.resolve("packer/projects")).load("demo")
        .spec().run()).toJson();
    new ProjectParameters(aws.ssm(), new ParameterNames(ParameterNames.DEFAULT_PREFIX, "demo"))
        .recordBake(image.amiId(), image.snapshotIds(), runConfig);
    return image.amiId();
  }

  private static String[] withProjects(List<String> args) {
    List<String> all = new ArrayList<>(args);
    all.addAll(1, List.of("--projects-dir", PROJECTS));
    return all.toArray(String[]::new);
  }
}
