package dev.amipipeline.launch;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.amipipeline.common.AmiException;
import dev.amipipeline.common.Json;
import dev.amipipeline.common.WaitReporter;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Follows one job: prints each new line of its log as the instance uploads it, until the job's
 * exit-status file appears or the instance ends without one. The storage and the clock are given,
 * so the loop itself touches neither S3 nor EC2.
 */
public final class JobLogFollower {

  /** Instance states after which no more uploads come. */
  static final Set<String> ENDED = Set.of("shutting-down", "terminated", "stopping", "stopped");

  /** Where the job's results are. */
  public interface JobFiles {
    /** The log's bytes from {@code offset} on; empty when there is nothing new or no log yet. */
    byte[] logFrom(long offset);

    /** The exit-status JSON, once the instance has uploaded it. */
    Optional<String> exitStatus();

    /** The instance's state name, e.g. {@code running}. */
    String instanceState();

    /** Where the log is, for the user. */
    String logUri();
  }

  /** Waits between polls. */
  public interface Pause {
    void sleep(Duration d) throws InterruptedException;
  }

  private final JobFiles files;
  private final Consumer<String> lines;
  private final Consumer<String> say;
  private final Clock clock;
  private final ByteArrayOutputStream partial = new ByteArrayOutputStream();
  private long offset;

  /**
   * @param lines receives each complete log line, without its newline
   * @param say where the wait for the first line is reported (stderr)
   */
  public JobLogFollower(JobFiles files, Consumer<String> lines, Consumer<String> say, Clock clock) {
    this.files = files;
    this.lines = lines;
    this.say = say;
    this.clock = clock;
  }

  public JobResult follow(String instanceId, Duration every, Pause pause) {
    WaitReporter firstLine = new WaitReporter("the job's first log line in " + files.logUri() + " (" + instanceId
        + " boots, clones and starts the job)", clock, WaitReporter.EVERY, say);
    while (true) {
      drainLog();
      if (offset == 0) {
        firstLine.tick();
      }
      Optional<String> status = files.exitStatus();
      if (status.isPresent()) {
        return finish(instanceId, status.get(), null);
      }
      String state = files.instanceState();
      if (ENDED.contains(state)) {
        // The last upload may have landed between our two reads: look once more.
        drainLog();
        return files.exitStatus().map(s -> finish(instanceId, s, state)).orElseGet(() -> {
          flushPartial();
          return new JobResult(instanceId, files.logUri(), null, state);
        });
      }
      try {
        pause.sleep(every);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AmiException.Failed("stopped following " + instanceId + "; its log: " + files.logUri());
      }
    }
  }

  private JobResult finish(String instanceId, String statusJson, String state) {
    drainLog();
    flushPartial();
    try {
      JobResult.ExitStatus status = Json.OUTPUT.readValue(statusJson, JobResult.ExitStatus.class);
      return new JobResult(instanceId, files.logUri(), status, state);
    } catch (JsonProcessingException e) {
      throw new AmiException.Failed("the job's exit-status.json next to " + files.logUri() + " is not valid: "
          + e.getOriginalMessage());
    }
  }

  private void drainLog() {
    byte[] fresh = files.logFrom(offset);
    offset += fresh.length;
    for (byte b : fresh) {
      if (b == '\n') {
        lines.accept(partial.toString(StandardCharsets.UTF_8));
        partial.reset();
      } else {
        partial.write(b);
      }
    }
  }

  private void flushPartial() {
    if (partial.size() > 0) {
      lines.accept(partial.toString(StandardCharsets.UTF_8));
      partial.reset();
    }
  }
}
