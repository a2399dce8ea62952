package dev.amipipeline.prune;

import dev.amipipeline.aws.AwsClients;
import dev.amipipeline.aws.AwsSettings;
import dev.amipipeline.project.ParameterNames;
import dev.amipipeline.project.ProjectParameters;
import dev.amipipeline.testing.Ec2Seed;
import dev.amipipeline.testing.Ec2Seed.SeededImage;
import dev.amipipeline.testing.MotoExtension;
import dev.amipipeline.testing.MotoServer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.ec2.Ec2Client;

/**
 * What the prune integration tests share: a real moto_server (one per class, reset per test), the
 * product's own clients pointed at it, a way to seed bakes, and the progress lines a run printed.
 */
@ExtendWith(MotoExtension.class)
abstract class MotoTestBase {

  MotoServer moto;
  AwsClients aws;
  Ec2Client ec2;
  final List<String> progress = new ArrayList<>();

  @BeforeEach
  void clients(MotoServer server) {
    moto = server;
    aws = AwsClients.create(new AwsSettings(MotoServer.REGION, null, server.endpoint()));
    ec2 = aws.ec2();
  }

  @AfterEach
  void closeClients() {
    aws.close();
  }

  /** Collects progress lines; runs call it from several threads. */
  Consumer<String> progressSink() {
    return line -> {
      synchronized (progress) {
        progress.add(line);
      }
    };
  }

  /** What a bake leaves behind: a tagged image with a tagged snapshot, recorded as the next ami-id version. */
  SeededImage bake(Region region, String project, String name) {
    SeededImage image = new Ec2Seed(aws.ec2(region)).bakedImage(project, name, 1);
    new ProjectParameters(aws.ssm(region), new ParameterNames(ParameterNames.DEFAULT_PREFIX, project))
        .recordBake(image.amiId(), image.snapshotIds(), "{}");
    return image;
  }

  /** {@code count} bakes of the project in us-east-1, named {@code <project>-<n>}, oldest first. */
  List<SeededImage> bakes(String project, int count) {
    List<SeededImage> images = new ArrayList<>();
    for (int i = 1; i <= count; i++) {
      images.add(bake(Region.US_EAST_1, project, project + "-" + i));
    }
    return images;
  }
}
