package dev.amipipeline.launch;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The follow loop on its own, for what takes minutes for real (a job that is slow to start): the
 * instance's uploads are played by the test, one step per poll, and the pause between polls moves
 * the clock instead of sleeping. FollowIT follows real S3.
 */
class JobLogFollowerTest {

  private Instant now = Instant.parse("2026-12-02T01:00:00Z");
  private int polls;

  private final Clock clock = new Clock() {
    @Override
    public Instant instant() {
      return now;
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }
  };

  /** The log is empty for the first {@code silentPolls} polls, then grows; the job ends after it all. */
  private JobLogFollower.JobFiles files(int silentPolls, String log) {
    return new JobLogFollower.JobFiles() {
      @Override
      public byte[] logFrom(long offset) {
        byte[] all = (polls < silentPolls ? "" : log).getBytes(StandardCharsets.UTF_8);
        return Arrays.copyOfRange(all, (int) Math.min(offset, all.length), all.length);
      }

      @Override
      public Optional<String> exitStatus() {
        return polls < silentPolls + 3 ? Optional.empty() : Optional.of("""
            {"exitCode": 0, "reason": "exited", "startedAt": "2026-12-02T01:00:00Z",
             "endedAt": "2026-12-02T01:01:00Z", "instanceId": "i-1", "amiId": "ami-1"}""");
      }

      @Override
      public String instanceState() {
        return "running";
      }

      @Override
      public String logUri() {
        return "s3://logs/runs/demo/i-1/job.log";
      }
    };
  }

  @Test
  void saysWhatItWaitsForUntilTheFirstLineThenOnlyTheLog() {
    List<String> lines = new ArrayList<>();
    List<String> said = new ArrayList<>();
    JobLogFollower follower = new JobLogFollower(files(5, "hello\n"), lines::add, said::add, clock);

    JobResult result = follower.follow("i-1", Duration.ofSeconds(5), d -> {
      now = now.plus(d);
      polls++;
    });

    assertThat(lines).containsExactly("hello");
    assertThat(result.exitStatus().exitCode()).isZero();
    // 25 s without a line (reported at 10 and 20 s); none after the first line, though 15 s more passed
    assertThat(said).containsExactly(
        "waiting for the job's first log line in s3://logs/runs/demo/i-1/job.log (i-1 boots, clones and starts the"
            + " job) (10s)",
        "waiting for the job's first log line in s3://logs/runs/demo/i-1/job.log (i-1 boots, clones and starts the"
            + " job) (20s)");
  }
}
