package dev.amipipeline.runs;

import com.fasterxml.jackson.annotation.JsonValue;
import dev.amipipeline.common.Report;
import java.util.List;

/**
 * What {@code ami logs} showed, after the log itself: the run's state and where its results are.
 *
 * @param jobExitCode the code behind the state (see {@link Run#exitCode}), or null
 * @param running whether the run still runs (then the text says how to follow it)
 */
public record LogsReport(String runId, String project, String state, Integer jobExitCode, String log, boolean running,
    List<Shown> instances) implements Report {

  /** Where an instance's lines came from. */
  public enum Source {
    JOB_LOG("job.log"), FIRST_BOOT_LOG("first-boot.log"), CONSOLE("console"), NONE("none");

    private final String name;

    Source(String name) {
      this.name = name;
    }

    @JsonValue
    public String sourceName() {
      return name;
    }
  }

  /** One instance's log: where it came from. */
  public record Shown(String instanceId, int attempt, Source source, String uri) {}

  public LogsReport {
    instances = List.copyOf(instances);
  }

  @Override
  public String toText() {
    return "run " + runId + ": " + state + "; log: " + log
        + (running ? "; follow it: ami logs " + runId + " --follow" : "");
  }
}
