package dev.amipipeline.prune;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.amipipeline.testing.Cli;
import dev.amipipeline.testing.Ec2Seed.SeededImage;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** {@code ami list} against a real moto_server. */
class ListIT extends MotoTestBase {

  @Test
  void listShowsEachImagesStandingWithTheProjectsKeepAndChangesNothing() throws Exception {
    List<SeededImage> bakes = bakes("demo", 6);
    ec2.runInstances(b -> b.imageId(bakes.get(0).amiId()).minCount(1).maxCount(1));
    Ec2State before = Ec2State.read(ec2);

    Cli.Result text = Cli.run(moto, "list", "--project", "demo");
    Cli.Result json = Cli.run(moto, "list", "--project", "demo", "--output", "json");

    assertThat(text.exitCode()).as(text.err()).isZero();
    assertThat(json.exitCode()).as(json.err()).isZero();
    assertThat(Ec2State.read(ec2)).isEqualTo(before);
    JsonNode listing = new ObjectMapper().readTree(json.out());
    Map<String, String> status = new TreeMap<>();
    listing.findParents("imageId").forEach(n -> status.put(n.get("imageId").asText(), n.get("status").asText()));
    // demo.json keeps 3: the current bake and the two before it; the first bake is in use.
    assertThat(status).isEqualTo(new TreeMap<>(Map.of(
        bakes.get(5).amiId(), "current", bakes.get(4).amiId(), "kept", bakes.get(3).amiId(), "kept",
        bakes.get(2).amiId(), "prunable", bakes.get(1).amiId(), "prunable", bakes.get(0).amiId(), "in use")));
    assertThat(listing.at("/regions/0/projects/0/images/0/reasons/0").asText()).isEqualTo("current (ami-id v6)");
    assertThat(text.out()).contains("us-east-1 · demo · keep 3", "2 images are prunable");
    String inUse = text.out().lines().filter(l -> l.startsWith(bakes.get(0).amiId())).findFirst().orElseThrow();
    assertThat(inUse).contains("in use", "in use by i-");
  }
}
