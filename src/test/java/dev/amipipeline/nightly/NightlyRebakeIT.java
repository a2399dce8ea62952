package dev.amipipeline.nightly;

import static org.assertj.core.api.Assertions.assertThat;

import dev.amipipeline.aws.AwsClients;
import dev.amipipeline.aws.AwsSettings;
import dev.amipipeline.project.ParameterNames;
import dev.amipipeline.project.ProjectParameters;
import dev.amipipeline.project.Tags;
import dev.amipipeline.testing.Ec2Seed;
import dev.amipipeline.testing.MotoExtension;
import dev.amipipeline.testing.MotoServer;
import dev.amipipeline.testing.Shell;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.Image;

/** scripts/nightly-rebake against the emulator, twice: the second night costs no Packer run. */
@ExtendWith(MotoExtension.class)
class NightlyRebakeIT {

  private static final List<String> PROJECTS = List.of("demo", "demo-b");

  @TempDir Path tmp;

  @Test
  void theSecondNightBakesNothingAndPruneKeepsAtMostThreeImagesPerProject(MotoServer moto) throws Exception {
    Path projects = Files.createDirectories(tmp.resolve("projects"));
    for (String project : PROJECTS) {
      Files.copy(Shell.REPO.resolve("packer/projects/demo.json"), projects.resolve(project + ".json"));
    }
    Path history = tmp.resolve("ami-history.md");
    try (AwsClients aws = AwsClients.create(new AwsSettings(MotoServer.REGION, null, moto.endpoint()))) {
      // Earlier nights left four images per project.
      Ec2Seed seed = new Ec2Seed(aws.ec2());
      for (String project : PROJECTS) {
        ProjectParameters params = new ProjectParameters(aws.ssm(), new ParameterNames("/ami-pipeline", project));
        for (int i = 0; i < 4; i++) {
          Ec2Seed.SeededImage old = seed.bakedImage(project, project + "-old-" + i, 1);
          params.recordBake(old.amiId(), old.snapshotIds(), "{}");
        }
      }
      Map<String, String> env = new HashMap<>(moto.environment());
      env.put("AMI_PROJECTS_DIR", projects.toString());
      Path logs = tmp.resolve("bake-logs");
      List<String> nightly = List.of("scripts/nightly-rebake", "--history", history.toString(), "--log-dir",
          logs.toString());

      Shell.Result first = Shell.run(nightly, env, Duration.ofMinutes(5));

      assertThat(first.exitCode()).as(first.out() + first.err()).isZero();
      assertThat(first.out()).contains("all projects         bake ok           prune ok");
      for (String project : PROJECTS) {
        List<Image> images = images(aws.ec2(), project);
        assertThat(images).as(project + " after the first night").hasSize(3);
        String current = new ProjectParameters(aws.ssm(), new ParameterNames("/ami-pipeline", project))
            .currentAmiId().orElseThrow();
        assertThat(images).filteredOn(i -> i.imageId().equals(current)).singleElement()
            .satisfies(i -> assertThat(tag(i, Tags.INPUTS)).as("baked tonight, not seeded").doesNotStartWith("seed-"));
      }
      int imagesAfterFirst = images(aws.ec2(), "demo").size() + images(aws.ec2(), "demo-b").size();
      // each bake wrote Packer's full output where the workflow collects it
      try (Stream<Path> files = Files.list(logs)) {
        assertThat(files.map(f -> f.getFileName().toString()).sorted().toList())
            .hasSize(2).satisfiesExactly(
                f -> assertThat(f).matches("bake-demo-\\d{8}T\\d{6}Z-[0-9a-f]{8}\\.log"),
                f -> assertThat(f).matches("bake-demo-b-\\d{8}T\\d{6}Z-[0-9a-f]{8}\\.log"));
      }

      // Nothing changed: a second night must not need Packer at all.
      env.put("AMI_PACKER", tmp.resolve("no-packer-here").toString());
      long started = System.nanoTime();
      Shell.Result second = Shell.run(nightly, env, Duration.ofMinutes(2));
      Duration took = Duration.ofNanos(System.nanoTime() - started);

      assertThat(second.exitCode()).as(second.out() + second.err()).isZero();
      assertThat(second.out()).contains("unchanged");
      assertThat(images(aws.ec2(), "demo").size() + images(aws.ec2(), "demo-b").size()).isEqualTo(imagesAfterFirst);
      System.out.println("second nightly-rebake of " + PROJECTS.size() + " projects took " + took.toMillis() + " ms");
      assertThat(took).as("the second night's own work").isLessThan(Duration.ofSeconds(5));
      assertThat(Files.readString(history)).contains("| demo |", "| demo-b |", "pruned ");
    }
  }

  private static List<Image> images(Ec2Client ec2, String project) {
    return ec2.describeImages(b -> b.owners("self").filters(f -> f.name("tag:" + Tags.PROJECT).values(project)))
        .images();
  }

  private static String tag(Image image, String key) {
    return image.tags().stream().filter(t -> t.key().equals(key)).findFirst().orElseThrow().value();
  }
}
