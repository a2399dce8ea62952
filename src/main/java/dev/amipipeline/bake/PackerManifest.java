package dev.amipipeline.bake;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.amipipeline.common.AmiException;
import dev.amipipeline.common.Json;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads the AMI ids of the last Packer run from the manifest post-processor's JSON, never from log
 * text. The file accumulates builds across runs; only the build whose {@code packer_run_uuid} is
 * {@code last_run_uuid} is ours. Its {@code artifact_id} reads {@code us-east-1:ami-1,us-west-2:ami-2}.
 */
public final class PackerManifest {

  private PackerManifest() {}

  /** Region to AMI id, in the order Packer listed them. */
  public static Map<String, String> amiIdsByRegion(String manifestJson) {
    JsonNode root;
    try {
      root = Json.STRICT.readTree(manifestJson);
    } catch (JsonProcessingException e) {
      throw new AmiException.Failed("the Packer manifest is not valid JSON: " + e.getOriginalMessage(), e);
    }
    String lastRun = root == null ? "" : root.path("last_run_uuid").asText("");
    if (lastRun.isEmpty()) {
      throw new AmiException.Failed("the Packer manifest names no last_run_uuid");
    }
    JsonNode ours = null;
    for (JsonNode build : root.path("builds")) {
      if (lastRun.equals(build.path("packer_run_uuid").asText())) {
        ours = build;
      }
    }
    if (ours == null) {
      throw new AmiException.Failed("the Packer manifest has no build of the last run " + lastRun);
    }
    return parseArtifactId(ours.path("artifact_id").asText(""));
  }

  static Map<String, String> parseArtifactId(String artifactId) {
    Map<String, String> amis = new LinkedHashMap<>();
    for (String pair : artifactId.split(",")) {
      int colon = pair.indexOf(':');
      String region = colon < 0 ? "" : pair.substring(0, colon).strip();
      String ami = colon < 0 ? "" : pair.substring(colon + 1).strip();
      if (region.isEmpty() || !ami.startsWith("ami-")) {
        throw new AmiException.Failed("the Packer manifest's artifact_id '" + artifactId
            + "' is not region:ami-id[,region:ami-id…]");
      }
      amis.put(region, ami);
    }
    return amis;
  }
}
