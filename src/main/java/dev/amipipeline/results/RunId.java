package dev.amipipeline.results;

import dev.amipipeline.common.AmiException;
import dev.amipipeline.project.Project;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import java.util.Optional;
import java.util.random.RandomGenerator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The id of one run (a contract): {@code <project>-<UTC yyyyMMdd-HHmmss>-<4 lowercase hex>}, made by
 * {@code ami launch} and carried by every instance, volume and fleet of the run as tag
 * {@code ami-pipeline:run}; or, for an instance started by hand from the AMI (no such tag), its
 * instance id. Results are filed under it.
 *
 * @param value the id as printed and tagged
 * @param project the project the id names; null for an instance id (the instance's tags say)
 * @param startedAt when the launch made it; null for an instance id
 */
public record RunId(String value, String project, Instant startedAt) {

  /** Group 1 the project, groups 2 and 3 the start (UTC), group 4 the random part. */
  public static final Pattern STAMPED =
      Pattern.compile("^([a-z0-9][a-z0-9-]{0,38})-([0-9]{8})-([0-9]{6})-([0-9a-f]{4})$");
  public static final Pattern INSTANCE_ID = Pattern.compile("^i-[0-9a-f]{8,17}$");

  private static final DateTimeFormatter STAMP =
      DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC);
  private static final DateTimeFormatter STAMP_IN = DateTimeFormatter.ofPattern("yyyyMMddHHmmss");

  public RunId {
    if (value == null || !(STAMPED.matcher(value).matches() || INSTANCE_ID.matcher(value).matches())) {
      throw new IllegalArgumentException("not a run id: " + value);
    }
  }

  /** A new run of {@code project} started at {@code now}; pure: the same clock and random give the same id. */
  public static RunId start(String project, Instant now, RandomGenerator random) {
    if (project == null || !Project.NAME.matcher(project).matches()) {
      throw new IllegalArgumentException("invalid project name " + project);
    }
    Instant second = now.truncatedTo(ChronoUnit.SECONDS);
    String suffix = HexFormat.of().toHexDigits((short) random.nextInt(1 << 16));
    return new RunId(project + "-" + STAMP.format(second) + "-" + suffix, project, second);
  }

  /** The run id of an instance started without one: the instance id. */
  public static RunId ofInstance(String instanceId) {
    return new RunId(instanceId, null, null);
  }

  /** What a user typed or a folder is named; empty when it is neither a run id nor an instance id. */
  public static Optional<RunId> tryParse(String text) {
    if (text == null) {
      return Optional.empty();
    }
    if (INSTANCE_ID.matcher(text).matches()) {
      return Optional.of(ofInstance(text));
    }
    Matcher m = STAMPED.matcher(text);
    if (!m.matches()) {
      return Optional.empty();
    }
    try {
      Instant started = LocalDateTime.parse(m.group(2) + m.group(3), STAMP_IN).toInstant(ZoneOffset.UTC);
      return Optional.of(new RunId(text, m.group(1), started));
    } catch (DateTimeParseException e) {
      return Optional.empty(); // 20261399-…: the shape of a stamp, not a time
    }
  }

  /** A run id as the user typed it; anything else is exit 2 before any AWS call. */
  public static RunId parse(String text) {
    return tryParse(text).orElseThrow(() -> new AmiException.BadInput("'" + text + "' is not a run id: use the id"
        + " 'ami launch' printed (e.g. demo-20261202-101500-3fa9, see 'ami runs') or an instance id (i-…)"));
  }

  /** Whether this is the id of an instance started by hand (its run id is its instance id). */
  public boolean isInstanceId() {
    return project == null;
  }

  @Override
  public String toString() {
    return value;
  }
}
