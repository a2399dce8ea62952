package dev.amipipeline.launch;

import dev.amipipeline.common.AmiException;
import dev.amipipeline.project.ProjectSpec;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/**
 * How a run recovers from spot interruptions: EC2 Fleet keeps its capacity ({@code maintain}) until
 * the run ends, at most {@code maxAttempts} attempts, and never past {@code validUntil}, the cost
 * ceiling: EC2 launches nothing for the run after it and ends what still runs. Pure.
 *
 * @param onDemandAfter after this many interruptions the instance side turns the fleet to on demand; null = never
 * @param ceiling how {@code validUntil} was reached, in words ({@code --max-hours 2}, {@code 5 attempts × …})
 */
public record Recovery(int maxAttempts, Integer onDemandAfter, Instant validUntil, String ceiling) {

  /** What an attempt needs beyond the job's timeout: boot, checkpoint restore, uploads. */
  static final Duration PER_ATTEMPT_MARGIN = Duration.ofMinutes(10);
  /** The longest ceiling {@code --max-hours} sets: a year. */
  static final BigDecimal MOST_HOURS = BigDecimal.valueOf(24 * 365);

  public Recovery {
    if (maxAttempts < 1) {
      throw new IllegalArgumentException("maxAttempts must be at least 1, was " + maxAttempts);
    }
    if (onDemandAfter != null && onDemandAfter < 1) {
      throw new IllegalArgumentException("onDemandAfter must be at least 1, was " + onDemandAfter);
    }
    if (validUntil == null) {
      throw new IllegalArgumentException("a recovering run needs a cost ceiling");
    }
  }

  /**
   * The recovery of a run launched at {@code now}: its ceiling is {@code --max-hours} when given, else
   * every attempt's timeout plus its margin. Without either there is no ceiling: exit 2.
   *
   * @param maxHours {@code --max-hours}, or null
   * @param timeoutMinutes the baked run configuration's timeoutMinutes (0 = none)
   * @param runParameter where that run configuration is, for the message
   */
  public static Recovery of(ProjectSpec.Recover settings, BigDecimal maxHours, int timeoutMinutes, Instant now,
      String project, String runParameter) {
    Instant start = now.truncatedTo(ChronoUnit.SECONDS);
    if (maxHours != null) {
      return new Recovery(settings.maxAttempts(), settings.onDemandAfter(), start.plus(hours(maxHours)),
          "--max-hours " + maxHours.stripTrailingZeros().toPlainString());
    }
    if (timeoutMinutes <= 0) {
      throw new AmiException.BadInput("a recovering run needs a cost ceiling, and the run configuration of "
          + project + " (" + runParameter + ") has no timeoutMinutes: give --max-hours H, or set run.timeoutMinutes"
          + " in the project file and rebake");
    }
    Duration perAttempt = Duration.ofMinutes(timeoutMinutes).plus(PER_ATTEMPT_MARGIN);
    return new Recovery(settings.maxAttempts(), settings.onDemandAfter(),
        start.plus(perAttempt.multipliedBy(settings.maxAttempts())),
        settings.maxAttempts() + " attempt" + (settings.maxAttempts() == 1 ? "" : "s") + " × (timeoutMinutes "
            + timeoutMinutes + " + " + PER_ATTEMPT_MARGIN.toMinutes() + ")");
  }

  /**
   * {@code --max-hours} as typed: a positive number of hours, decimals allowed.
   *
   * @throws AmiException.BadInput when it is anything else
   */
  public static BigDecimal parseMaxHours(String text) {
    BigDecimal hours;
    try {
      hours = new BigDecimal(text.strip());
    } catch (NumberFormatException e) {
      hours = null;
    }
    if (hours == null || hours.signum() <= 0 || hours.compareTo(MOST_HOURS) > 0 || hours(hours).isZero()) {
      throw new AmiException.BadInput("--max-hours must be a positive number of hours up to " + MOST_HOURS
          + " (e.g. 12 or 1.5), was '" + text + "'");
    }
    return hours;
  }

  private static Duration hours(BigDecimal hours) {
    return Duration.ofSeconds(hours.multiply(BigDecimal.valueOf(3600)).longValue());
  }
}
