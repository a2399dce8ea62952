package dev.amipipeline.bake;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.amipipeline.common.AmiException;
import org.junit.jupiter.api.Test;

class PackerManifestTest {

  /** What Packer 1.6.6 writes after three runs into one file (shape copied from a real manifest). */
  private static final String THREE_RUNS = """
      {
        "builds": [
          {"name": "image", "builder_type": "amazon-ebs", "build_time": 1795377230, "files": null,
           "artifact_id": "us-east-1:ami-11111111111111111", "packer_run_uuid": "run-1", "custom_data": null},
          {"name": "image", "builder_type": "amazon-ebs", "build_time": 1795377300, "files": null,
           "artifact_id": "us-east-1:ami-22222222222222222,us-west-2:ami-33333333333333333",
           "packer_run_uuid": "run-2", "custom_data": {"project": "demo"}},
          {"name": "image", "builder_type": "amazon-ebs", "build_time": 1795377400, "files": null,
           "artifact_id": "us-east-1:ami-44444444444444444", "packer_run_uuid": "run-3", "custom_data": null}
        ],
        "last_run_uuid": "run-2"
      }
      """;

  @Test
  void picksTheBuildOfTheLastRunNotTheLastBuildInTheFile() {
    assertThat(PackerManifest.amiIdsByRegion(THREE_RUNS))
        .containsExactly(
            org.assertj.core.api.Assertions.entry("us-east-1", "ami-22222222222222222"),
            org.assertj.core.api.Assertions.entry("us-west-2", "ami-33333333333333333"));
  }

  @Test
  void aSingleRegionBuild() {
    String one = THREE_RUNS.replace("\"last_run_uuid\": \"run-2\"", "\"last_run_uuid\": \"run-3\"");
    assertThat(PackerManifest.amiIdsByRegion(one)).containsOnlyKeys("us-east-1")
        .containsValue("ami-44444444444444444");
  }

  @Test
  void aLastRunWithoutBuildIsAnError() {
    String none = THREE_RUNS.replace("\"last_run_uuid\": \"run-2\"", "\"last_run_uuid\": \"run-9\"");
    assertThatThrownBy(() -> PackerManifest.amiIdsByRegion(none))
        .isInstanceOf(AmiException.Failed.class).hasMessageContaining("no build of the last run run-9");
  }

  @Test
  void missingLastRunUuidIsAnError() {
    assertThatThrownBy(() -> PackerManifest.amiIdsByRegion("{\"builds\": []}"))
        .isInstanceOf(AmiException.Failed.class).hasMessageContaining("last_run_uuid");
  }

  @Test
  void brokenJsonIsAnError() {
    assertThatThrownBy(() -> PackerManifest.amiIdsByRegion("{\"builds\": ["))
        .isInstanceOf(AmiException.Failed.class).hasMessageContaining("not valid JSON");
  }

  @Test
  void anArtifactIdThatIsNoAmiListIsAnError() {
    assertThatThrownBy(() -> PackerManifest.parseArtifactId("us-east-1:snap-123"))
        .isInstanceOf(AmiException.Failed.class).hasMessageContaining("region:ami-id");
    assertThatThrownBy(() -> PackerManifest.parseArtifactId(""))
        .isInstanceOf(AmiException.Failed.class);
  }
}
