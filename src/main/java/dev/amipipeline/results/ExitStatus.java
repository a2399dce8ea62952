package dev.amipipeline.results;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.time.Instant;
import java.util.Optional;

/**
 * {@code exit-status.json}, the last file an instance uploads (a contract). Instances of earlier
 * versions wrote neither {@code runId}, {@code attempt}, {@code instanceType} nor {@code market};
 * unknown fields are ignored.
 *
 * @param reason {@code exited}, {@code timeout}, {@code spot-interruption}, {@code setup-failed},
 *     {@code cancelled} or {@code gave-up}
 * @param market {@code spot} or {@code on-demand}, as the instance metadata said; null when it did not
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ExitStatus(int exitCode, String reason, String startedAt, String endedAt, String instanceId,
    String amiId, String runId, Integer attempt, String instanceType, String market) {

  public static final String EXITED = "exited";
  public static final String TIMEOUT = "timeout";
  public static final String SPOT_INTERRUPTION = "spot-interruption";
  public static final String SETUP_FAILED = "setup-failed";
  public static final String CANCELLED = "cancelled";
  public static final String GAVE_UP = "gave-up";

  /** An exit status that does not say its market. */
  public ExitStatus(int exitCode, String reason, String startedAt, String endedAt, String instanceId, String amiId,
      String runId, Integer attempt, String instanceType) {
    this(exitCode, reason, startedAt, endedAt, instanceId, amiId, runId, attempt, instanceType, null);
  }

  /** The attempt it ended, 1 when an earlier instance did not say. */
  public int attemptOrFirst() {
    return attempt == null || attempt < 1 ? 1 : attempt;
  }

  public Optional<Instant> started() {
    return Timestamps.parse(startedAt);
  }

  public Optional<Instant> ended() {
    return Timestamps.parse(endedAt);
  }
}
