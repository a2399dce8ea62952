package dev.amipipeline.launch;

import dev.amipipeline.common.ExitCode;
import dev.amipipeline.common.Report;
import dev.amipipeline.results.JobResult;
import java.util.ArrayList;
import java.util.List;

/**
 * What a launch started: the run's id first, one line per instance, then the next step in text; one
 * object with {@code --output json}. With {@code --follow}, {@code job} holds how the job ended.
 * Fewer instances than asked for is exit 1.
 */
public record LaunchReport(String runId, String project, String amiId, Long amiVersion, String fleetId,
    int requested, List<LaunchedInstance> instances, List<String> notes, List<FleetError> errors, JobResult job)
    implements Report {

  public LaunchReport {
    instances = List.copyOf(instances);
    notes = List.copyOf(notes);
    errors = List.copyOf(errors);
  }

  public LaunchReport withJob(JobResult result) {
    return new LaunchReport(runId, project, amiId, amiVersion, fleetId, requested, instances, notes, errors, result);
  }

  public List<String> instanceIds() {
    return instances.stream().map(LaunchedInstance::instanceId).toList();
  }

  @Override
  public String toText() {
    List<String> lines = new ArrayList<>(List.of(startedText()));
    if (job != null) {
      lines.add(job.toText());
    } else if (!instances.isEmpty()) {
      lines.add("next: ami logs " + runId + " --follow");
    }
    return String.join("\n", lines);
  }

  /** The run and what it started, without the job's end or the next step (shown before a followed job's log). */
  public String startedText() {
    List<String> lines = new ArrayList<>();
    lines.add("run " + runId);
    lines.add(project + ": " + instances.size() + " of " + requested + " instance" + (requested == 1 ? "" : "s")
        + " from " + amiId + (amiVersion == null ? "" : " (ami-id version " + amiVersion + ")")
        + (fleetId == null ? "" : " via EC2 Fleet " + fleetId));
    lines.add(String.format("%-20s %-13s %-11s %-9s %-8s %-15s %s",
        "INSTANCE", "TYPE", "AZ", "MARKET", "STATE", "PUBLIC IP", "PRIVATE IP"));
    for (LaunchedInstance i : instances) {
      lines.add(String.format("%-20s %-13s %-11s %-9s %-8s %-15s %s", i.instanceId(), i.instanceType(),
          dash(i.availabilityZone()), i.market(), dash(i.state()), dash(i.publicIp()), dash(i.privateIp())));
    }
    errors.forEach(e -> lines.add("not placed: " + e));
    return String.join("\n", lines);
  }

  @Override
  public ExitCode exitCode() {
    return instances.size() < requested ? ExitCode.FAILED : ExitCode.OK;
  }

  private static String dash(String s) {
    return s == null ? "-" : s;
  }
}
