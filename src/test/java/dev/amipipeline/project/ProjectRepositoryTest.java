package dev.amipipeline.project;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.amipipeline.common.AmiException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class ProjectRepositoryTest {

  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final Path FILE = Path.of("packer/projects/t.json");

  private static final String VALID = """
      {
        "bake": {"baseImage": {"owners": ["099720109477"], "name": "ubuntu/images/*"}},
        "launch": {"instanceTypes": ["t3.micro"]},
        "run": {"repo": "https://example.com/r.git", "command": "echo hi", "logUri": "s3://logs-bucket/x"}
      }
      """;

  private static Project parse(String json) {
    return ProjectRepository.parse("t", FILE, json.getBytes(StandardCharsets.UTF_8));
  }

  private static String errorOf(String json) {
    try {
      parse(json);
    } catch (AmiException.BadInput e) {
      return e.getMessage();
    }
    throw new AssertionError("expected a BadInput for " + json);
  }

  @Test
  void shippedProjectsAreValid() {
    ProjectRepository repo = new ProjectRepository(Path.of("packer/projects"));
    assertThat(repo.names()).contains("demo", "ml");
    Project ml = repo.load("ml");
    assertThat(ml.spec().bake().nvidiaDriver()).isTrue();
    assertThat(ml.spec().launch().spot()).isTrue();
    assertThat(ml.spec().launch().instanceTypes()).isEmpty();
    assertThat(ml.spec().launch().gpus()).isEqualTo("24GB+:1");
    assertThat(ml.spec().run().logUri()).startsWith("s3://");
    Project demo = repo.load("demo");
    assertThat(demo.spec().bake().nvidiaDriver()).isFalse();
    assertThat(demo.spec().bake().baseImage().isFilter()).isTrue();
  }

  @Test
  void appliesDefaults() {
    Project p = parse(VALID);
    assertThat(p.spec().keep()).isEqualTo(3);
    assertThat(p.spec().bake().jdk()).isEqualTo(17);
    assertThat(p.spec().bake().git()).isTrue();
    assertThat(p.spec().bake().encryptBoot()).isTrue();
    assertThat(p.spec().run().ref()).isEqualTo("main");
    assertThat(p.spec().run().terminateOnExit()).isTrue();
    assertThat(p.regionsOr("eu-west-1")).containsExactly("eu-west-1");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', textBlock = """
      unknown top field    | bogus                        | 1                       | bogus: unknown field
      unknown nested field | launch.spotty                | true                    | launch.spotty: unknown field
      bad AMI id           | bake.baseImage               | {"amiId": "ami-xyz"}    | bake.baseImage.amiId: 'ami-xyz' is not an AMI id
      both base kinds      | bake.baseImage.amiId         | "ami-12345678"          | bake.baseImage: give either amiId or owners + name
      bad region           | regions                      | ["us-east-1", "mars-1"] | regions[1]: 'mars-1' is not a known AWS region
      zero keep            | keep                         | 0                       | keep: must be at least 1
      negative keep        | keep                         | -2                      | keep: must be at least 1
      wrong type keep      | keep                         | "three"                 | keep: wrong type, expected a whole number
      wrong type spot      | launch.spot                  | "yes"                   | launch.spot: wrong type, expected true or false
      bad s3 uri           | run.logUri                   | "http://x"              | run.logUri: 'http://x' is not an S3 URI
      missing command      | run.command                  | null                    | run.command: missing
      missing run          | run                          | null                    | run: missing
      bad instance type    | launch.instanceTypes         | ["t3.micro", "BIG"]     | launch.instanceTypes[1]: 'BIG' is not an instance type
      zero volume size     | launch.rootVolume            | {"sizeGiB": 0}          | launch.rootVolume.sizeGiB: must be between 1 and 65536
      negative timeout     | run.timeoutMinutes           | -5                      | run.timeoutMinutes: must be 0 (no timeout) or more
      bad env name         | run.env                      | {"1X": "v"}             | run.env.1X: is not a valid environment variable name
      bad subnet           | launch.subnets               | ["net-1"]               | launch.subnets[0]: 'net-1' is not a subnet id
      bad GPU spec         | launch.gpus                  | "A100:x"                | launch.gpus: 'A100:x' is not a GPU spec (the count must be
      GPUs and types       | launch.gpus                  | "A100:8"                | launch: give either instanceTypes or gpus
      no types nor GPUs    | launch.instanceTypes         | []                      | launch.instanceTypes: missing: list at least one instance type, in order of preference (or ask for GPUs
      """)
  void rejectsBadValuesNamingTheField(String caseName, String path, String value, String expected)
      throws Exception {
    ObjectNode root = (ObjectNode) MAPPER.readTree(VALID);
    String[] parts = path.split("\\.");
    ObjectNode parent = root;
    for (int i = 0; i < parts.length - 1; i++) {
      parent = (ObjectNode) parent.get(parts[i]);
    }
    parent.set(parts[parts.length - 1], MAPPER.readTree(value));
    assertThat(errorOf(MAPPER.writeValueAsString(root))).startsWith(FILE + ": ").contains(expected);
  }

  @Test
  void gpusStandInForInstanceTypes() throws Exception {
    ObjectNode root = (ObjectNode) MAPPER.readTree(VALID);
    ((ObjectNode) root.get("launch")).remove("instanceTypes");
    ((ObjectNode) root.get("launch")).put("gpus", "a10g:1");

    Project p = parse(MAPPER.writeValueAsString(root));

    assertThat(p.spec().launch().instanceTypes()).isEmpty();
    assertThat(GpuSpec.parse(p.spec().launch().gpus())).isEqualTo(new GpuSpec("a10g:1", "a10g", null, 1));
  }

  @Test
  void malformedJsonNamesLineAndColumn() {
    assertThat(errorOf("{\n  \"keep\": 3,,\n}")).startsWith(FILE + ": line 2 column").contains("not valid JSON");
    assertThat(errorOf("{\"bake\": {")).contains("not valid JSON");
    assertThat(errorOf("")).contains("is empty");
  }

  @Test
  void duplicateKeysAreRejected() {
    assertThat(errorOf("{\"keep\": 1, \"keep\": 2}")).contains("keep");
  }

  @ParameterizedTest
  @ValueSource(strings = {"../x", "ML", "", "a b", "-lead", "abcdefghijabcdefghijabcdefghijabcdefghij", "a_b"})
  void rejectsBadProjectNames(String name) {
    assertThatThrownBy(() -> ProjectRepository.checkName(name))
        .isInstanceOf(AmiException.BadInput.class)
        .hasMessageContaining("project name")
        .hasMessageContaining("is invalid");
  }

  @Test
  void missingProjectNamesTheFileAndListsKnownOnes() {
    ProjectRepository repo = new ProjectRepository(Path.of("packer/projects"));
    assertThatThrownBy(() -> repo.load("nope"))
        .isInstanceOf(AmiException.BadInput.class)
        .hasMessageContaining("packer/projects/nope.json")
        .hasMessageContaining("demo, ml");
  }

  @Test
  void runConfigJsonHasTheContractFields() {
    String json = RunConfig.of(parse(VALID).spec().run()).toJson();
    assertThat(json).isEqualTo("{\"repo\":\"https://example.com/r.git\",\"ref\":\"main\",\"command\":\"echo hi\","
        + "\"user\":\"root\",\"env\":{},\"logUri\":\"s3://logs-bucket/x\",\"terminateOnExit\":true,"
        + "\"timeoutMinutes\":0}");
  }

  @Test
  void parameterNamesFollowTheContract() {
    ParameterNames n = new ParameterNames("/ami-pipeline", "ml");
    assertThat(n.amiId()).isEqualTo("/ami-pipeline/ml/ami-id");
    assertThat(n.amiIdVersion(2)).isEqualTo("/ami-pipeline/ml/ami-id:2");
    assertThat(n.snapshotIds()).isEqualTo("/ami-pipeline/ml/snapshot-ids");
    assertThat(n.run()).isEqualTo("/ami-pipeline/ml/run");
    assertThat(n.bakeLock()).isEqualTo("/ami-pipeline/ml/bake-lock");
    assertThatThrownBy(() -> new ParameterNames("no-slash", "ml")).isInstanceOf(AmiException.BadInput.class);
    assertThatThrownBy(() -> new ParameterNames("/aws/x", "ml")).isInstanceOf(AmiException.BadInput.class);
  }
}
