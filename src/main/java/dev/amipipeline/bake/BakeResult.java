package dev.amipipeline.bake;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import dev.amipipeline.common.Elapsed;
import dev.amipipeline.common.ExitCode;
import dev.amipipeline.common.Report;
import dev.amipipeline.history.HistoryRow;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/** What one project's bake came to; printed as text or, with --output json, as this record. */
public sealed interface BakeResult extends Report {

  Pattern SHA256_HEX = Pattern.compile("[0-9a-f]{64}");

  String project();

  /** The JSON discriminator: baked, unchanged, dry-run or failed. */
  @JsonProperty("status")
  String status();

  /** The AMI of one region, as recorded. */
  record RegionImage(String region, String amiId, List<String> snapshotIds, long amiIdVersion) {
    public RegionImage {
      Objects.requireNonNull(region, "region");
      if (amiId == null || !amiId.startsWith("ami-")) {
        throw new IllegalArgumentException("not an AMI id: " + amiId);
      }
      snapshotIds = List.copyOf(snapshotIds);
    }
  }

  /**
   * A new AMI, tagged, recorded in SSM in every region and appended to the history.
   *
   * @param log the file with Packer's full output
   */
  @JsonPropertyOrder({"status", "project", "images", "inputs", "sourceAmi", "commit", "amiName", "bakedAt",
      "seconds", "provisioned", "notes", "log"})
  record Baked(String project, List<RegionImage> images, String inputs, String sourceAmi, String commit,
      String amiName, String bakedAt, long seconds, boolean provisioned, List<String> notes, String log)
      implements BakeResult {

    private static final DateTimeFormatter HISTORY_TIME =
        DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneOffset.UTC);

    public Baked {
      images = List.copyOf(images);
      notes = List.copyOf(notes);
      Objects.requireNonNull(log, "log");
      if (images.isEmpty()) {
        throw new IllegalArgumentException("a bake makes at least one AMI");
      }
      if (!SHA256_HEX.matcher(inputs).matches()) {
        throw new IllegalArgumentException("inputs must be a sha256 hex digest: " + inputs);
      }
      Instant.parse(bakedAt); // ISO-8601 UTC, or this throws
      if (seconds < 0) {
        throw new IllegalArgumentException("negative duration");
      }
    }

    @Override
    public String status() {
      return "baked";
    }

    /** One ami-history.md row per region, each the new {@code current}. */
    public List<HistoryRow> historyRows() {
      String commitShort = commit.length() > InputsHash.SHORT ? commit.substring(0, InputsHash.SHORT) : commit;
      return images.stream().map(i -> new HistoryRow(HISTORY_TIME.format(Instant.parse(bakedAt)), project, i.region(), i.amiId(),
          i.snapshotIds(), sourceAmi, InputsHash.shortForm(inputs), commitShort, HistoryRow.CURRENT)).toList();
    }

    @Override
    public String toText() {
      List<String> lines = new ArrayList<>();
      lines.add(project + ": baked " + images.get(0).amiId() + " in " + Elapsed.words(java.time.Duration.ofSeconds(seconds))
          + (provisioned ? "" : " (local mode: not provisioned)"));
      for (RegionImage i : images) {
        lines.add(String.format("  %-14s %-22s ami-id v%-3d snapshots %s", i.region(), i.amiId(), i.amiIdVersion(),
            i.snapshotIds().isEmpty() ? "(none)" : String.join(", ", i.snapshotIds())));
      }
      lines.add("  inputs   " + inputs);
      lines.add("  source   " + sourceAmi);
      lines.add("  commit   " + commit);
      lines.add("  name     " + amiName);
      notes.forEach(n -> lines.add("  note     " + n));
      lines.add("  log      " + log);
      return String.join("\n", lines);
    }
  }

  /** --if-changed found the current AMI baked from the same inputs: nothing was run. */
  @JsonPropertyOrder({"status", "project", "amiId", "inputs", "sourceAmi"})
  record Unchanged(String project, String amiId, String inputs, String sourceAmi) implements BakeResult {
    @Override
    public String status() {
      return "unchanged";
    }

    @Override
    public String toText() {
      return project + ": unchanged, " + amiId + " was baked from the same inputs (" + InputsHash.shortForm(inputs)
          + ", source " + sourceAmi + "); nothing to do";
    }
  }

  /** --dry-run: the Packer command(s) that would run, secrets masked; nothing was changed. */
  @JsonPropertyOrder({"status", "project", "inputs", "sourceAmi", "localMode", "commands"})
  record DryRun(String project, String inputs, String sourceAmi, boolean localMode, List<String> commands)
      implements BakeResult {
    public DryRun {
      commands = List.copyOf(commands);
    }

    @Override
    public String status() {
      return "dry-run";
    }

    @Override
    public String toText() {
      List<String> lines = new ArrayList<>();
      lines.add(project + ": dry run, nothing changed" + (localMode ? " (local mode: no provisioner would run)" : ""));
      lines.add("  inputs   " + inputs);
      lines.add("  source   " + sourceAmi);
      commands.forEach(c -> lines.add("  run      " + c));
      return String.join("\n", lines);
    }
  }

  /** A project of --all that did not bake; the others were still tried. */
  @JsonPropertyOrder({"status", "project", "exitCode", "error"})
  record Failed(String project, String error, @JsonIgnore ExitCode code) implements BakeResult {
    public Failed {
      if (code == ExitCode.OK) {
        throw new IllegalArgumentException("a failure needs a failing exit code");
      }
    }

    @Override
    public String status() {
      return "failed";
    }

    @JsonProperty("exitCode")
    public int exitCodeNumber() {
      return code.code();
    }

    @Override
    public ExitCode exitCode() {
      return code;
    }

    @Override
    public String toText() {
      return project + ": failed (exit " + code.code() + "): " + error;
    }
  }

  /** The results of --all, in order; exits with the first failure's code. */
  record AllProjects(List<BakeResult> results) implements Report {
    public AllProjects {
      results = List.copyOf(results);
    }

    @JsonProperty("failed")
    public long failed() {
      return results.stream().filter(r -> r instanceof Failed).count();
    }

    @Override
    public ExitCode exitCode() {
      return results.stream().filter(r -> r instanceof Failed).findFirst().map(Report::exitCode).orElse(ExitCode.OK);
    }

    @Override
    public String toText() {
      List<String> lines = new ArrayList<>();
      results.forEach(r -> lines.add(r.toText()));
      lines.add(results.size() + " project(s), " + failed() + " failed");
      return String.join("\n", lines);
    }
  }
}
