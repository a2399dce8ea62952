package dev.amipipeline.runs;

import dev.amipipeline.common.Elapsed;
import dev.amipipeline.common.Report;
import dev.amipipeline.common.TextTable;
import dev.amipipeline.results.ResultLayout;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * {@code ami runs}: one row per run, newest first, as a table or (with {@code --output json}) the
 * same rows with each run's instances.
 *
 * @param since how far back runs were listed, as typed ({@code 7d}); null = all
 */
public record RunsReport(String since, List<Row> runs) implements Report {

  /**
   * One run; times ISO-8601 UTC, absent when unknown.
   *
   * @param attempts the attempts that ran the job (1, 2, … across spot recoveries)
   * @param recoveries the attempts after the first, each started by a recovering run's fleet
   * @param fleets a recovering run's EC2 Fleets that are still active
   */
  public record Row(String runId, String project, String startedAt, String endedAt, Long durationSeconds,
      List<String> instanceTypes, String market, int attempts, int recoveries, String state, Integer exitCode,
      String log, List<String> fleets, List<InstanceRow> instances) {}

  /** One instance of a run. */
  public record InstanceRow(String instanceId, int attempt, String instanceType, String market, String ec2State,
      String cancelledAt, Integer exitCode, String reason, String log) {}

  public RunsReport {
    runs = List.copyOf(runs);
  }

  public static RunsReport of(List<Run> runs, Instant now, String since) {
    return new RunsReport(since, runs.stream().map(r -> row(r, now)).toList());
  }

  private static Row row(Run r, Instant now) {
    Duration took = r.duration(now);
    List<String> markets = r.instances().stream().map(RunInstance::market).filter(Objects::nonNull).distinct().toList();
    return new Row(r.id().value(), r.project(), r.startedAt() == null ? null : TextTable.iso(r.startedAt()),
        r.endedAt() == null ? null : TextTable.iso(r.endedAt()), took == null ? null : took.getSeconds(),
        r.instances().stream().map(RunInstance::instanceType).filter(Objects::nonNull).distinct().toList(),
        markets.isEmpty() ? null : String.join(", ", markets), r.attemptsMade(), r.recoveries(), r.stateLabel(),
        r.exitCode(), r.log(), r.fleetIds(), r.instances().stream().map(i -> new InstanceRow(i.instanceId(), i.attempt(), i.instanceType(), i.market(),
            i.ec2State(), i.cancelledAt(), i.exitStatus() == null ? null : i.exitStatus().exitCode(),
            i.exitStatus() == null ? null : i.exitStatus().reason(), i.results().uri(ResultLayout.JOB_LOG))).toList());
  }

  /** {@code 1}, or {@code 3 (2 recoveries)}. */
  private static String attempts(Row r) {
    return r.attempts() + (r.recoveries() < 1 ? ""
        : " (" + r.recoveries() + (r.recoveries() == 1 ? " recovery)" : " recoveries)"));
  }

  @Override
  public String toText() {
    if (runs.isEmpty()) {
      return since == null ? "no runs" : "no runs started in the last " + since + " (--since 30d looks further back)";
    }
    return TextTable.render(List.of("RUN", "PROJECT", "STARTED (UTC)", "DURATION", "TYPE", "MARKET", "ATTEMPTS",
        "STATE", "LOG"), runs.stream().map(r -> List.of(r.runId(), r.project(),
            r.startedAt() == null ? "-" : TextTable.minute(Instant.parse(r.startedAt())),
            r.durationSeconds() == null ? "-" : Elapsed.words(Duration.ofSeconds(r.durationSeconds())),
            r.instanceTypes().isEmpty() ? "-" : String.join(",", r.instanceTypes()),
            r.market() == null ? "-" : r.market(), attempts(r), r.state(), r.log())).toList())
        .stripTrailing();
  }
}
