package dev.amipipeline.project;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.core.JsonProcessingException;
import dev.amipipeline.common.AmiException;
import dev.amipipeline.common.Json;
import java.util.Map;
import java.util.TreeMap;

/**
 * The run configuration stored at {@code <prefix>/<project>/run} and read by the first-boot script
 * (a contract). Its fields are those of {@link ProjectSpec.Run}, which it is made from; fields it does
 * not know are ignored on reading, as the instance side ignores them.
 */
@JsonPropertyOrder({"repo", "ref", "command", "user", "env", "logUri", "terminateOnExit", "timeoutMinutes"})
@JsonIgnoreProperties(ignoreUnknown = true)
public record RunConfig(
    String repo,
    String ref,
    String command,
    String user,
    Map<String, String> env,
    String logUri,
    boolean terminateOnExit,
    int timeoutMinutes) {

  public static RunConfig of(ProjectSpec.Run run) {
    return new RunConfig(run.repo(), run.ref(), run.command(), run.user(), new TreeMap<>(run.env()),
        stripSlash(run.logUri()), run.terminateOnExit(), run.timeoutMinutes());
  }

  /** A run configuration as a bake stored it; one that cannot be read calls for a new bake (exit 1). */
  public static RunConfig fromJson(String json) {
    try {
      return Json.OUTPUT.readValue(json, RunConfig.class);
    } catch (JsonProcessingException e) {
      throw new AmiException.Failed("the run configuration in SSM is not valid JSON: rebake the project ("
          + e.getOriginalMessage() + ")");
    }
  }

  public String toJson() {
    return Json.write(this);
  }

  private static String stripSlash(String uri) {
    return uri.endsWith("/") ? uri.substring(0, uri.length() - 1) : uri;
  }
}
