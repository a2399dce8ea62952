package dev.amipipeline.launch;

import static org.assertj.core.api.Assertions.assertThat;

import dev.amipipeline.aws.AwsClients;
import dev.amipipeline.aws.AwsSettings;
import dev.amipipeline.project.ParameterNames;
import dev.amipipeline.project.Project;
import dev.amipipeline.project.ProjectParameters;
import dev.amipipeline.project.ProjectRepository;
import dev.amipipeline.project.RunConfig;
import dev.amipipeline.testing.Ec2Seed;
import dev.amipipeline.testing.MotoServer;
import dev.amipipeline.testing.Shell;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import software.amazon.awssdk.services.ec2.model.Instance;

/** What a bake leaves behind, without Packer: a tagged image and its SSM record. */
public final class Bakes {

  private Bakes() {}

  public static AwsClients aws(MotoServer moto) {
    return AwsClients.create(new AwsSettings(MotoServer.REGION, null, moto.endpoint()));
  }

  /** Registers an image of {@code project} and records it as the project's newest bake; returns its id. */
  public static String bake(AwsClients aws, String project) {
    Project p = new ProjectRepository(Shell.REPO.resolve("packer/projects")).load(project);
    Ec2Seed.SeededImage image = new Ec2Seed(aws.ec2()).bakedImage(project, project + "-" + UUID.randomUUID(), 1);
    new ProjectParameters(aws.ssm(), new ParameterNames(ParameterNames.DEFAULT_PREFIX, project))
        .recordBake(image.amiId(), image.snapshotIds(), RunConfig.of(p.spec().run()).toJson());
    return image.amiId();
  }

  /** The ml project names an IAM instance profile; the emulator checks that it exists. */
  public static void createInstanceProfile(MotoServer moto, String name) {
    Shell.Result r = Shell.run(List.of("aws", "iam", "create-instance-profile", "--instance-profile-name", name),
        moto.environment(), Duration.ofMinutes(1));
    assertThat(r.exitCode()).as(r.err()).isZero();
  }

  /** Every instance the emulator knows, in any state. */
  public static List<Instance> instances(AwsClients aws) {
    return aws.ec2().describeInstancesPaginator().reservations().stream()
        .flatMap(r -> r.instances().stream()).toList();
  }
}
