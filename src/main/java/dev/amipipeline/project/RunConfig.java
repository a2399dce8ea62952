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
@JsonPropertyOrder({"repo", "ref", "command", "user", "env", "logUri", "terminateOnExit", "timeoutMinutes",
    "checkpoint", "uploadRetryMinutes"})
@JsonIgnoreProperties(ignoreUnknown = true)
public record RunConfig(
    String repo,
    String ref,
    String command,
    String user,
    Map<String, String> env,
    String logUri,
    boolean terminateOnExit,
    int timeoutMinutes,
    Checkpoint checkpoint,
    int uploadRetryMinutes) {

  /** The checkpoint as the instance reads it: every value given, the uri defaulted to the logUri. Null = none. */
  @JsonPropertyOrder({"dir", "uri", "syncSeconds"})
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record Checkpoint(String dir, String uri, int syncSeconds) {}

  /** Without a checkpoint, retrying uploads for the default time. */
  public RunConfig(String repo, String ref, String command, String user, Map<String, String> env, String logUri,
      boolean terminateOnExit, int timeoutMinutes) {
    this(repo, ref, command, user, env, logUri, terminateOnExit, timeoutMinutes, null,
        ProjectSpec.Run.DEFAULT_UPLOAD_RETRY_MINUTES);
  }

  public static RunConfig of(ProjectSpec.Run run) {
    String logUri = stripSlash(run.logUri());
    ProjectSpec.Checkpoint c = run.checkpoint();
    Checkpoint checkpoint = c == null ? null
        : new Checkpoint(c.dir(), c.uri() == null ? logUri : stripSlash(c.uri()), c.syncSeconds());
    return new RunConfig(run.repo(), run.ref(), run.command(), run.user(), new TreeMap<>(run.env()), logUri,
        run.terminateOnExit(), run.timeoutMinutes(), checkpoint, run.uploadRetryMinutes());
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
