package dev.amipipeline.launch;

import dev.amipipeline.common.ExitCode;
import dev.amipipeline.common.Report;
import dev.amipipeline.common.TextTable;
import dev.amipipeline.results.JobResult;
import java.util.ArrayList;
import java.util.List;

/**
 * What a launch started: the run's id first, one line per instance, then the next step in text; one
 * object with {@code --output json}. With {@code --follow}, {@code job} holds how the job ended.
 * Fewer instances than asked for is exit 1, except for a recovering run, whose fleet starts them
 * after the launch returns.
 *
 * @param recovery how the run recovers (its fleet, template version and cost ceiling); null = it does not
 */
public record LaunchReport(String runId, String project, String amiId, Long amiVersion, String fleetId,
    int requested, List<LaunchedInstance> instances, List<String> notes, List<FleetError> errors, JobResult job,
    Recovering recovery) implements Report {

  /**
   * A recovering run's fleet: what it keeps, from which launch template version, until when.
   *
   * @param validUntil the cost ceiling, ISO-8601 UTC: EC2 launches nothing for the run after it and ends
   *     what still runs
   * @param ceiling how the ceiling was reached
   * @param onDemandAfter interruptions after which the fleet turns to on demand; null = never
   */
  public record Recovering(String fleetId, String templateName, String templateId, long templateVersion,
      int maxAttempts, Integer onDemandAfter, String validUntil, String ceiling) {

    public static Recovering of(String fleetId, LaunchTemplates.RunVersion template, Recovery recovery) {
      return new Recovering(fleetId, template.templateName(), template.templateId(), template.version(),
          recovery.maxAttempts(), recovery.onDemandAfter(), TextTable.iso(recovery.validUntil()), recovery.ceiling());
    }

    List<String> lines(int capacity) {
      return List.of("recovery: EC2 Fleet " + fleetId + " (maintain) keeps " + capacity + " instance"
              + (capacity == 1 ? "" : "s") + " of launch template " + templateName + " version " + templateVersion
              + " (" + templateId + "), up to " + maxAttempts + " attempt" + (maxAttempts == 1 ? "" : "s")
              + (onDemandAfter == null ? "" : ", on demand after " + onDemandAfter + " interruption"
                  + (onDemandAfter == 1 ? "" : "s")),
          "cost ceiling: " + validUntil + " (" + ceiling + "): EC2 launches nothing for this run after it and ends"
              + " what still runs (the fleet's ValidUntil)");
    }
  }

  public LaunchReport {
    instances = List.copyOf(instances);
    notes = List.copyOf(notes);
    errors = List.copyOf(errors);
  }

  /** What a launch that does not recover started. */
  public LaunchReport(String runId, String project, String amiId, Long amiVersion, String fleetId, int requested,
      List<LaunchedInstance> instances, List<String> notes, List<FleetError> errors, JobResult job) {
    this(runId, project, amiId, amiVersion, fleetId, requested, instances, notes, errors, job, null);
  }

  public LaunchReport withJob(JobResult result) {
    return new LaunchReport(runId, project, amiId, amiVersion, fleetId, requested, instances, notes, errors, result,
        recovery);
  }

  /** The same launch with its instances as they are now (a recovering run's, once its fleet started them). */
  public LaunchReport withInstances(List<LaunchedInstance> now) {
    return new LaunchReport(runId, project, amiId, amiVersion, fleetId, requested, now, notes, errors, job, recovery);
  }

  public List<String> instanceIds() {
    return instances.stream().map(LaunchedInstance::instanceId).toList();
  }

  @Override
  public String toText() {
    List<String> lines = new ArrayList<>(List.of(startedText()));
    if (job != null) {
      lines.add(job.toText());
    } else if (!instances.isEmpty() || recovery != null) {
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
    if (recovery != null) {
      lines.addAll(recovery.lines(requested));
    }
    return String.join("\n", lines);
  }

  @Override
  public ExitCode exitCode() {
    return instances.size() < requested && recovery == null ? ExitCode.FAILED : ExitCode.OK;
  }

  private static String dash(String s) {
    return s == null ? "-" : s;
  }
}
