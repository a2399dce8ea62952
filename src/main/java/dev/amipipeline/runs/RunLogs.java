package dev.amipipeline.runs;

import dev.amipipeline.common.AmiException;
import dev.amipipeline.common.Concurrently;
import dev.amipipeline.common.JobOutput;
import dev.amipipeline.common.WaitReporter;
import dev.amipipeline.results.JobLogFollower;
import dev.amipipeline.results.JobResult;
import dev.amipipeline.results.ResultLayout;
import dev.amipipeline.results.StoredRuns;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * {@code ami logs}: a run's job log from S3, instance by instance (each line prefixed with the
 * instance id when there are several). An instance that left nothing in S3 is shown by what S3 has
 * instead (its first-boot.log) or, failing that, by its console output from EC2, and the command
 * says so. {@code --follow} streams the log while the run lives, as {@code ami launch --follow} does,
 * across a recovering run's attempts.
 */
public final class RunLogs {

  private final StoredRuns stored;
  private final RunInstances ec2;
  private final JobOutput output;
  private final Clock clock;

  /** @param clock for saying, while a followed job has printed nothing yet, how long it has been waited for */
  public RunLogs(StoredRuns stored, RunInstances ec2, JobOutput output, Clock clock) {
    this.stored = stored;
    this.ec2 = ec2;
    this.output = output;
    this.clock = clock;
  }

  /** The log of every instance of the run, or of one attempt; then where the run is. */
  public LogsReport show(Run run, Integer attempt) {
    List<RunInstance> shown = instances(run, attempt, run.instances());
    List<LogsReport.Shown> logs = new ArrayList<>();
    for (RunInstance i : shown) {
      Consumer<String> lines = prefixed(i, shown.size());
      Optional<byte[]> job = stored.file(i.results(), ResultLayout.JOB_LOG);
      if (job.isPresent()) {
        print(job.get(), lines);
        logs.add(new LogsReport.Shown(i.instanceId(), i.attempt(), LogsReport.Source.JOB_LOG,
            i.results().uri(ResultLayout.JOB_LOG)));
        continue;
      }
      Optional<byte[]> firstBoot = stored.file(i.results(), ResultLayout.FIRST_BOOT_LOG);
      if (firstBoot.isPresent()) {
        output.progress("ami: " + i.instanceId() + " left no job.log in S3; its first-boot.log instead:");
        print(firstBoot.get(), lines);
        logs.add(new LogsReport.Shown(i.instanceId(), i.attempt(), LogsReport.Source.FIRST_BOOT_LOG,
            i.results().uri(ResultLayout.FIRST_BOOT_LOG)));
        continue;
      }
      logs.add(new LogsReport.Shown(i.instanceId(), i.attempt(), console(i, lines), null));
    }
    return new LogsReport(run.id().value(), run.project(), run.stateLabel(), run.exitCode(), run.log(),
        run.state() == RunState.RUNNING, logs);
  }

  /**
   * Streams the log of the last attempt's instances (or of one attempt) until each has reported its
   * end or is gone; the exit code is the job's (the first non-zero one of several instances).
   */
  public FollowedRun follow(Run run, Integer attempt, Duration every, JobLogFollower.Pause pause) {
    return followInstances(run, instances(run, attempt, run.lastAttempt()), every, pause);
  }

  /**
   * Follows a run across its attempts: the last attempt's instances as {@link #follow} does; when
   * they have ended and the run recovers (its fleet replaces what was interrupted), waits for the next
   * attempt's instances and follows those, until the run ends. A run without a fleet ends with its
   * attempt. The result holds the last attempt's jobs, whose exit code is the run's.
   *
   * @param current reads the run anew (its instances, results and fleets)
   */
  public FollowedRun followAcrossAttempts(Supplier<Run> current, Duration every, JobLogFollower.Pause pause) {
    Run run = current.get();
    Set<String> followed = new HashSet<>();
    FollowedRun last = null;
    WaitReporter replacement = null;
    while (true) {
      List<RunInstance> next = run.lastAttempt().stream().filter(i -> !followed.contains(i.instanceId())).toList();
      if (!next.isEmpty() || last == null) {
        if (last != null) {
          output.progress("ami: run " + run.id() + " recovers: following attempt " + next.get(0).attempt() + " on "
              + String.join(", ", next.stream().map(RunInstance::instanceId).toList()));
        }
        last = followInstances(run, next, every, pause);
        next.forEach(i -> followed.add(i.instanceId()));
        replacement = null;
        if (run.fleetIds().isEmpty()) {
          return last;
        }
        run = current.get();
        continue;
      }
      if (!run.recovering()) {
        return last;
      }
      if (replacement == null) {
        last.jobs().forEach(j -> output.progress("ami: " + j.toText()));
        replacement = new WaitReporter("EC2 Fleet to start the instance" + (followed.size() > 1 ? "s" : "") + " of run " + run.id() + " (attempt " + (followed.isEmpty() ? 1 : run.attempts() + 1) + ")", clock,
            WaitReporter.EVERY,
            output::progress);
      }
      replacement.tick();
      try {
        pause.sleep(every);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AmiException.Failed("stopped following run " + run.id() + "; see 'ami logs " + run.id() + "'");
      }
      run = current.get();
    }
  }

  private FollowedRun followInstances(Run run, List<RunInstance> followed, Duration every,
      JobLogFollower.Pause pause) {
    List<Supplier<JobResult>> each = followed.stream().<Supplier<JobResult>>map(i -> () -> {
      AtomicInteger printed = new AtomicInteger();
      Consumer<String> lines = prefixed(i, followed.size());
      JobResult result = new JobLogFollower(stored.jobFiles(i.results(), () -> ec2.state(i.instanceId())),
          line -> {
            printed.incrementAndGet();
            lines.accept(line);
          }, output::progress, clock).follow(i.instanceId(), every, pause);
      if (result.exitStatus() == null && printed.get() == 0) {
        console(i, lines);
      }
      return result;
    }).toList();
    List<JobResult> results = each.size() == 1 ? List.of(each.get(0).get()) : Concurrently.all(each);
    return new FollowedRun(run.id().value(), results);
  }

  private List<RunInstance> instances(Run run, Integer attempt, List<RunInstance> all) {
    if (attempt == null) {
      return all;
    }
    if (attempt > run.attempts()) {
      throw new AmiException.BadInput("run " + run.id() + " has " + run.attempts() + " attempt"
          + (run.attempts() == 1 ? "" : "s") + "; there is no attempt " + attempt);
    }
    return run.ofAttempt(attempt);
  }

  /** The instance's console output from EC2, said to be that; what was shown. */
  private LogsReport.Source console(RunInstance i, Consumer<String> lines) {
    String where = "nothing of " + i.instanceId() + " (attempt " + i.attempt() + ") in S3 at " + i.results().uri();
    Optional<String> console = ec2.consoleOutput(i.instanceId());
    if (console.isEmpty()) {
      output.progress("ami: " + where + ", and EC2 has no console output of it");
      return LogsReport.Source.NONE;
    }
    output.progress("ami: " + where + "; its console output from EC2 instead:");
    console.get().lines().forEach(lines);
    return LogsReport.Source.CONSOLE;
  }

  private Consumer<String> prefixed(RunInstance i, int of) {
    return of > 1 ? line -> output.jobLine("[" + i.instanceId() + "] " + line) : output::jobLine;
  }

  private static void print(byte[] log, Consumer<String> lines) {
    new String(log, StandardCharsets.UTF_8).lines().forEach(lines);
  }
}
