package dev.amipipeline.prune;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.amipipeline.aws.AwsClients;
import dev.amipipeline.aws.AwsSettings;
import dev.amipipeline.project.ParameterNames;
import dev.amipipeline.project.ProjectParameters;
import dev.amipipeline.testing.Cli;
import dev.amipipeline.testing.Ec2Seed;
import dev.amipipeline.testing.Ec2Seed.SeededImage;
import dev.amipipeline.testing.MotoExtension;
import dev.amipipeline.testing.MotoServer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.services.ec2.Ec2Client;

@ExtendWith(MotoExtension.class)
class ListIT {

  @Test
  void listShowsEachImagesStandingWithTheProjectsKeepAndChangesNothing(MotoServer moto) throws Exception {
    try (AwsClients aws = AwsClients.create(new AwsSettings(MotoServer.REGION, null, moto.endpoint()))) {
      Ec2Client ec2 = aws.ec2();
      ProjectParameters params = new ProjectParameters(aws.ssm(), new ParameterNames("/ami-pipeline", "demo"));
      List<SeededImage> bakes = new ArrayList<>();
      for (int i = 1; i <= 6; i++) {
        SeededImage image = new Ec2Seed(ec2).bakedImage("demo", "demo-" + i, 1);
        params.recordBake(image.amiId(), image.snapshotIds(), "{}");
        bakes.add(image);
      }
      ec2.runInstances(b -> b.imageId(bakes.get(0).amiId()).minCount(1).maxCount(1));
      Ec2State before = Ec2State.read(ec2);

      Cli.Result text = Cli.run(moto, "list", "--project", "demo");
      Cli.Result json = Cli.run(moto, "list", "--project", "demo", "--output", "json");

      assertThat(text.exitCode()).as(text.err()).isZero();
      assertThat(json.exitCode()).as(json.err()).isZero();
      assertThat(Ec2State.read(ec2)).isEqualTo(before);
      Map<String, String> status = new TreeMap<>();
      new ObjectMapper().readTree(json.out()).findParents("imageId")
          .forEach(n -> status.put(n.get("imageId").asText(), n.get("status").asText()));
      // demo.json keeps 3: the current bake, the two before it; the first is in use.
      assertThat(status).isEqualTo(new TreeMap<>(Map.of(
          bakes.get(5).amiId(), "current", bakes.get(4).amiId(), "kept", bakes.get(3).amiId(), "kept",
          bakes.get(2).amiId(), "prunable", bakes.get(1).amiId(), "prunable", bakes.get(0).amiId(), "in use")));
      assertThat(text.out()).contains("us-east-1 · demo · keep 3", "2 images are prunable");
      String inUse = text.out().lines().filter(l -> l.startsWith(bakes.get(0).amiId())).findFirst().orElseThrow();
      assertThat(inUse).contains("in use", "in use by i-");
      JsonNode first = new ObjectMapper().readTree(json.out()).at("/regions/0/projects/0/images/0");
      assertThat(first.get("reasons").get(0).asText()).isEqualTo("current (ami-id v6)");
    }
  }
}
