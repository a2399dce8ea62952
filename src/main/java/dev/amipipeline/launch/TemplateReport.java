package dev.amipipeline.launch;

import dev.amipipeline.common.Report;

/**
 * The project's launch template after {@code --template-only}: its id, the version just made (now
 * the default), and what its image reference resolves to today.
 */
public record TemplateReport(String project, String templateName, String templateId, long version, boolean created,
    String imageId, String resolvesTo) implements Report {

  @Override
  public String toText() {
    return String.join("\n",
        "launch template " + templateName + " " + templateId + " version " + version + " (default"
            + (created ? ", new template)" : ")"),
        "image " + imageId + " (now " + resolvesTo + ")");
  }
}
