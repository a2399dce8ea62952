package dev.amipipeline.project;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import dev.amipipeline.common.Json;
import java.util.Map;
import java.util.TreeMap;

/**
 * The run configuration stored at {@code <prefix>/<project>/run} and read by the first-boot script
 * (a contract; the instance side ignores fields it does not know).
 */
@JsonPropertyOrder({"repo", "ref", "command", "user", "env", "logUri", "terminateOnExit", "timeoutMinutes"})
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

  public String toJson() {
    return Json.write(this);
  }

  private static String stripSlash(String uri) {
    return uri.endsWith("/") ? uri.substring(0, uri.length() - 1) : uri;
  }
}
