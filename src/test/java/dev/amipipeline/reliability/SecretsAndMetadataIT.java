package dev.amipipeline.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.amipipeline.aws.AwsClients;
import dev.amipipeline.aws.AwsSettings;
import dev.amipipeline.common.Json;
import dev.amipipeline.testing.Cli;
import dev.amipipeline.testing.FaultProxy;
import dev.amipipeline.testing.MotoExtension;
import dev.amipipeline.testing.MotoServer;
import dev.amipipeline.testing.Shell;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.HttpTokensState;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ssm.model.ParameterType;

/**
 * Secrets and instance metadata, as every command really sends them: all calls of a bake, every
 * launch path, list and prune go through the proxy, which records each request of every client
 * (the CLI and Packer), and the recorded requests are checked field by field.
 */
@ExtendWith(MotoExtension.class)
class SecretsAndMetadataIT {

  private static final String SECRET_NAME = "/ami-pipeline/demo/secrets/token";
  private static final String SECRET = "s3cr3t-v@lue";
  private static final String USER_DATA =
      Base64.getEncoder().encodeToString("AMI_PROJECT=demo\n".getBytes(StandardCharsets.UTF_8));

  @TempDir Path tmp;

  @Test
  void onlyTheProjectLineInUserDataImdsV2EverywhereEncryptedVolumesAndSecretsByReference(MotoServer moto)
      throws Exception {
    try (AwsClients aws = AwsClients.create(new AwsSettings(MotoServer.REGION, null, moto.endpoint()));
        FaultProxy proxy = FaultProxy.start(moto.endpoint(), 1)) {
      aws.ssm().putParameter(b -> b.name(SECRET_NAME).type(ParameterType.SECURE_STRING).value(SECRET));
      Path projects = demoWithASecretAndARootVolume();
      proxy.configure(Map.of("record_actions", List.of("*")));

      List<Cli.Result> runs = new ArrayList<>();
      runs.add(cli(proxy, projects, "bake", "--project", "demo", "--history", tmp.resolve("h.md").toString()));
      runs.add(cli(proxy, projects, "launch", "--project", "demo"));
      runs.add(cli(proxy, projects, "launch", "--project", "demo", "--spot", "--wait"));
      runs.add(cli(proxy, projects, "launch", "--project", "demo", "--count", "2"));
      runs.add(cli(proxy, projects, "launch", "--project", "demo", "--template-only"));
      runs.add(cli(proxy, projects, "launch", "--project", "demo", "--dry-run"));
      runs.add(cli(proxy, projects, "list"));
      runs.add(cli(proxy, projects, "prune", "--keep", "1", "--history", tmp.resolve("h.md").toString()));
      assertThat(runs).allSatisfy(r -> assertThat(r.exitCode()).as(r.err()).isZero());
      List<JsonNode> requests = proxy.requests();
      String baked = aws.ssm().getParameter(b -> b.name("/ami-pipeline/demo/ami-id")).parameter().value();

      // User-data: whatever sets it, in whatever request, says AMI_PROJECT=demo and nothing else; the
      // only other user-data is the empty one of Packer's builder.
      assertThat(userData(requests, "aws-sdk-java")).as("a run, a spot run, the fleet's template, the template,"
          + " the dry run").hasSizeGreaterThanOrEqualTo(5).allSatisfy(u -> assertThat(u).endsWith(" " + USER_DATA));
      assertThat(userData(requests, "aws-sdk-go")).containsExactly("RunInstances ");

      // IMDSv2 required (tokens, hop limit 2), instance tags readable there (the instance's run id) and
      // encrypted volumes on every instance and template.
      List<JsonNode> runInstances = of(requests, "RunInstances", "aws-sdk-java");
      assertThat(runInstances).hasSize(3).allSatisfy(r -> {
        assertThat(r.path("params").path("MetadataOptions.HttpTokens").asText()).isEqualTo("required");
        assertThat(r.path("params").path("MetadataOptions.HttpPutResponseHopLimit").asText()).isEqualTo("2");
        assertThat(r.path("params").path("MetadataOptions.InstanceMetadataTags").asText()).isEqualTo("enabled");
        assertThat(r.path("params").path("BlockDeviceMapping.1.Ebs.Encrypted").asText()).isEqualTo("true");
      });
      List<JsonNode> templates = new ArrayList<>(of(requests, "CreateLaunchTemplate", "aws-sdk-java"));
      templates.addAll(of(requests, "CreateLaunchTemplateVersion", "aws-sdk-java"));
      assertThat(templates).hasSizeGreaterThanOrEqualTo(2).allSatisfy(r -> {
        assertThat(r.path("params").path("LaunchTemplateData.MetadataOptions.HttpTokens").asText())
            .isEqualTo("required");
        assertThat(r.path("params").path("LaunchTemplateData.MetadataOptions.InstanceMetadataTags").asText())
            .isEqualTo("enabled");
        assertThat(r.path("params").path("LaunchTemplateData.BlockDeviceMapping.1.Ebs.Encrypted").asText())
            .isEqualTo("true");
      });
      List<Instance> launched = liveLaunchedInstances(aws, baked);
      assertThat(launched).hasSize(4);
      // moto ignores a launch template's metadata options, so the fleet's two are checked on the request.
      assertThat(launched).filteredOn(i -> i.clientToken() != null).as("started by RunInstances").hasSize(2)
          .allSatisfy(i -> assertThat(i.metadataOptions().httpTokens()).isEqualTo(HttpTokensState.REQUIRED));

      // The baked AMI: IMDSv2 support asked for (moto ignores imdsSupport, so the request is what can be
      // checked), and its boot volume encrypted by Packer's encrypted copy (encrypt_boot on).
      assertThat(of(requests, "ModifyImageAttribute", "aws-sdk-java")).anySatisfy(r -> {
        assertThat(r.path("params").path("ImageId").asText()).isEqualTo(baked);
        assertThat(r.path("params").path("ImdsSupport.Value").asText()).isEqualTo("v2.0");
      });
      assertThat(of(requests, "CopyImage", "aws-sdk-go")).singleElement()
          .satisfies(r -> assertThat(r.path("params").path("Encrypted").asText()).isEqualTo("true"));

      // Secrets stay references: recorded as written, never read by the tool, never on the wire.
      String run = aws.ssm().getParameter(b -> b.name("/ami-pipeline/demo/run")).parameter().value();
      assertThat(Json.STRICT.readTree(run).path("env").path("TOKEN").asText()).isEqualTo("ssm:" + SECRET_NAME);
      assertThat(requests).noneSatisfy(r -> assertThat(r.path("params").path("Name").asText())
          .isEqualTo(SECRET_NAME));
      assertThat(requests).noneSatisfy(r -> assertThat(r.toString()).contains(SECRET));
      assertThat(runs).noneSatisfy(r -> assertThat(r.out() + r.err()).contains(SECRET));
    }
  }

  /** demo with a secret in its run environment and a root volume of its own (so launches map one). */
  private Path demoWithASecretAndARootVolume() throws Exception {
    ObjectNode demo = (ObjectNode) Json.STRICT.readTree(Shell.REPO.resolve("packer/projects/demo.json").toFile());
    ((ObjectNode) demo.path("run")).putObject("env").put("TOKEN", "ssm:" + SECRET_NAME);
    ((ObjectNode) demo.path("launch")).putObject("rootVolume").put("sizeGiB", 20);
    Path projects = Files.createDirectories(tmp.resolve("projects"));
    Files.writeString(projects.resolve("demo.json"), Json.writePretty(demo));
    return projects;
  }

  private static Cli.Result cli(FaultProxy proxy, Path projects, String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(1, List.of("--endpoint-url", proxy.endpoint().toString(), "--region", MotoServer.REGION,
        "--projects-dir", projects.toString()));
    return Cli.run(all.toArray(String[]::new));
  }

  /** "Action value" of each user-data parameter sent by the client {@code agent}. */
  private static List<String> userData(List<JsonNode> requests, String agent) {
    List<String> found = new ArrayList<>();
    requests.stream().filter(r -> r.path("agent").asText().contains(agent))
        .forEach(r -> r.path("params").fields().forEachRemaining(p -> {
          if (p.getKey().toLowerCase().contains("userdata")) {
            found.add(r.path("action").asText() + " " + p.getValue().asText());
          }
        }));
    return found;
  }

  private static List<JsonNode> of(List<JsonNode> requests, String action, String agent) {
    return requests.stream().filter(r -> r.path("action").asText().equals(action))
        .filter(r -> r.path("agent").asText().contains(agent)).toList();
  }

  private static List<Instance> liveLaunchedInstances(AwsClients aws, String ami) {
    return aws.ec2().describeInstancesPaginator(b -> b.filters(
            Filter.builder().name("instance-state-name").values("pending", "running").build(),
            Filter.builder().name("image-id").values(ami).build()))
        .reservations().stream().flatMap(r -> r.instances().stream()).toList();
  }
}
