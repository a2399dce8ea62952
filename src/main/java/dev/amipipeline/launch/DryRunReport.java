package dev.amipipeline.launch;

import dev.amipipeline.common.Json;
import dev.amipipeline.common.Report;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What a launch would send, request by request, and what EC2's DryRun check said of each.
 *
 * @param runId the id the run would have had (its instances' tag); null for the project's template
 */
public record DryRunReport(String runId, String project, String amiId, List<CheckedRequest> requests,
    List<String> notes) implements Report {

  public DryRunReport {
    requests = List.copyOf(requests);
    notes = List.copyOf(notes);
  }

  /** One request exactly as it would be sent, and the check's answer (null: not sent). */
  public record CheckedRequest(String operation, Map<String, Object> request, String check) {}

  @Override
  public String toText() {
    List<String> lines = new ArrayList<>();
    lines.add("dry run: nothing was launched or changed (project " + project + ", " + amiId
        + (runId == null ? "" : ", run " + runId + " not started") + ")");
    for (CheckedRequest r : requests) {
      lines.add("");
      lines.add(r.operation() + " " + (r.check() == null ? "(not sent)" : "-> " + r.check()));
      lines.add(Json.writePretty(r.request()));
    }
    notes.forEach(n -> lines.add("note: " + n));
    return String.join("\n", lines);
  }
}
