package dev.amipipeline.bake;

import dev.amipipeline.common.Elapsed;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** What Packer prints, read by a person: the live line prefix and the one error line that matters. */
final class PackerOutput {

  /** Packer's summary of a failed build: "Build 'amazon-ebs.image' errored after 2 seconds: WHY". */
  private static final Pattern BUILD_ERRORED = Pattern.compile("^Build '[^']+' errored after [^:]*: (.+)$");
  /** A Packer (HCL) diagnostic starts "Error: SUMMARY" followed by location lines and a detail. */
  private static final Pattern ERROR = Pattern.compile("^Error: (.+)$");
  private static final Pattern COUNT_ONLY = Pattern.compile("^\\d+ error\\(s\\) occurred:?$");

  private PackerOutput() {}

  static String prefix(String project, Duration elapsed) {
    return "[bake " + project + " " + Elapsed.clock(elapsed) + "] ";
  }

  /** The line that says why Packer failed, from its own words; empty when it said nothing useful. */
  static Optional<String> errorLine(List<String> lines) {
    for (String line : lines) {
      Matcher m = BUILD_ERRORED.matcher(line.strip());
      if (m.matches()) {
        return Optional.of(m.group(1).strip());
      }
    }
    for (int i = 0; i < lines.size(); i++) {
      Matcher m = ERROR.matcher(lines.get(i).strip());
      if (m.matches()) {
        return Optional.of(diagnostic(m.group(1).strip(), lines.subList(i + 1, lines.size())));
      }
    }
    return Optional.empty();
  }

  /** SUMMARY plus the first detail paragraph or "* bullet", skipping "on FILE line N:" lines. */
  private static String diagnostic(String summary, List<String> rest) {
    List<String> detail = new ArrayList<>();
    boolean started = false;
    for (String raw : rest) {
      String line = raw.strip();
      if (line.startsWith("on ") && line.endsWith(":") || line.startsWith("(source code")) {
        continue;
      }
      if (COUNT_ONLY.matcher(line).matches()) {
        continue;
      }
      if (line.isEmpty() || line.startsWith("==>") || ERROR.matcher(line).matches()) {
        if (started) {
          break;
        }
        if (!line.isEmpty()) {
          break;
        }
        continue;
      }
      if (started && line.startsWith("* ")) {
        break;
      }
      detail.add(line.startsWith("* ") ? line.substring(2) : line);
      started = true;
    }
    String what = String.join(" ", detail);
    if (COUNT_ONLY.matcher(summary).matches()) {
      return what.isEmpty() ? summary : what;
    }
    return what.isEmpty() ? summary : summary + ": " + what;
  }
}
