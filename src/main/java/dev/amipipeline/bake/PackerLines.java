package dev.amipipeline.bake;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Packer's machine-readable output read back as the lines a person would have seen, each with the
 * kind Packer gave it, and the steps view: what {@code ami bake} shows by default.
 *
 * <p>Machine-readable records are {@code TIME,TARGET,TYPE,DATA...}; the {@code ui} records carry the
 * human text ({@code say}: a step, {@code message}: output, {@code error}: an error or a
 * provisioner's stderr) with commas as {@code %!(PACKER_COMMA)} and newlines as {@code \n}. Other
 * records (artifact ids, counts) repeat what a ui record says and are not shown. A line that is not
 * a record (a Packer that does not write them, a crash) is kept as it is.
 */
final class PackerLines {

  /** What Packer meant a line as. */
  enum Kind { STEP, MESSAGE, ERROR, PLAIN }

  /** One line as a person reads it. */
  record Line(Kind kind, String text) {}

  private static final Pattern RECORD = Pattern.compile("^\\d+,[^,]*,([^,]+),(.*)$");
  /** What our provisioners log (packer/provisioners/lib.sh): "  BUILD: 2026-01-02T03:04:05Z 10-git: text". */
  private static final Pattern PROVISIONER_LOG =
      Pattern.compile("^(\\s*\\S+: )\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ (\\d\\d-[\\w.-]+: .*)$");
  /** A step that runs a script: until the next step, the build's errors are that script's stderr. */
  private static final Pattern SCRIPT_STEP = Pattern.compile("^==> [^:]+: (Provisioning with |Running local shell script)");
  private static final Pattern BUILD_ERROR = Pattern.compile("^==> [^:]+: ");
  /** ANSI escape sequences and other control characters but tab. */
  private static final Pattern CONTROL = Pattern.compile("\\x1B\\[[0-?]*[ -/]*[@-~]|\\x1B.|[\\x00-\\x08\\x0B-\\x1F\\x7F]");

  private PackerLines() {}

  /** The lines one line of Packer's output stands for: none, one, or several (a multi-line message). */
  static List<Line> read(String raw) {
    Matcher m = RECORD.matcher(raw);
    if (!m.matches()) {
      return List.of(new Line(Kind.PLAIN, raw));
    }
    if (!m.group(1).equals("ui")) {
      return List.of();
    }
    String data = m.group(2);
    int comma = data.indexOf(',');
    if (comma < 0) {
      return List.of();
    }
    Kind kind = switch (data.substring(0, comma)) {
      case "say" -> Kind.STEP;
      case "message" -> Kind.MESSAGE;
      case "error" -> Kind.ERROR;
      default -> Kind.PLAIN;
    };
    String text = data.substring(comma + 1)
        .replace("%!(PACKER_COMMA)", ",").replace("\\r", "").replace("\\n", "\n");
    List<Line> lines = new ArrayList<>();
    text.lines().forEach(l -> lines.add(new Line(kind, l)));
    if (text.endsWith("\n")) {
      lines.add(new Line(kind, "")); // println after a message that ends in a newline leaves a blank line
    }
    return lines.isEmpty() ? List.of(new Line(kind, "")) : lines;
  }

  /** {@code text} without escape sequences or control characters, for a log or a terminal. */
  static String printable(String text) {
    return CONTROL.matcher(text).replaceAll("");
  }

  /**
   * The steps view, line by line: Packer's steps, our provisioners' own log lines (without their
   * timestamp: the bake prefix has the time), Packer's errors, the build's end and its artifacts
   * (once: Packer 1.6.6 lists them again for the manifest post-processor). Hidden: blank lines,
   * tag echo and other builder details, and what provisioners print besides their log lines
   * (package managers), stdout and stderr alike. One per Packer run; not thread-safe.
   */
  static final class Steps {
    private boolean inScript;
    private boolean artifacts;
    private final Set<String> artifactLines = new HashSet<>();

    /** The line as the steps view shows it; empty when it goes to the full log only. */
    Optional<String> show(Line line) {
      String text = printable(line.text());
      if (text.isBlank()) {
        return Optional.empty();
      }
      if (artifacts) {
        return artifactLines.add(text) ? Optional.of(text) : Optional.empty();
      }
      return switch (line.kind()) {
        case STEP -> step(text);
        case MESSAGE -> provisionerLog(text);
        case ERROR -> inScript && BUILD_ERROR.matcher(text).find() ? Optional.empty() : Optional.of(text);
        case PLAIN -> Optional.of(text);
      };
    }

    private Optional<String> step(String text) {
      inScript = SCRIPT_STEP.matcher(text).find();
      if (text.startsWith("==> Builds finished")) {
        artifacts = true;
      }
      // "Build 'x' finished after 1 minute" says the same with the build's name.
      return text.startsWith("==> Wait completed") ? Optional.empty() : Optional.of(text);
    }

    private static Optional<String> provisionerLog(String text) {
      Matcher m = PROVISIONER_LOG.matcher(text);
      return m.matches() ? Optional.of(m.group(1) + m.group(2)) : Optional.empty();
    }
  }
}
