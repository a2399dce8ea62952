package dev.amipipeline.launch;

import dev.amipipeline.aws.AwsClients;
import dev.amipipeline.results.JobResult;
import dev.amipipeline.results.ResultFolder;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Somewhere other than EC2 that boots the instance a launch started: this machine while an emulator
 * plays EC2 ({@code ami launch --local}). The launch itself is the same RunInstances with the one
 * line of user-data; the host then boots what the emulator launched, so its first-boot unit runs the
 * job for real, and follows the job as {@code --follow} does on AWS.
 */
public interface InstanceHost {

  /**
   * How the booted instance runs.
   *
   * @param results where the instance ships its results: its folder of the run, under the baked run
   *     configuration's logUri
   * @param followed the log is shown as it comes (so the instance ships it more often than its default)
   * @param spotNotice when the spot interruption notice appears, counted from the boot; null = never
   * @param poll how often the job's log is read while the instance runs
   * @param spotNoticeAttempts which attempts of a recovering run get the notice: the first N (those
   *     that run on the spot market; on demand gets none)
   */
  record Job(ResultFolder results, boolean followed, Duration spotNotice, Duration poll, int spotNoticeAttempts) {

    /** The notice, if any, for the first attempt only. */
    public Job(ResultFolder results, boolean followed, Duration spotNotice, Duration poll) {
      this(results, followed, spotNotice, poll, 1);
    }

    /** This job as attempt {@code attempt} of its run runs it: with the notice only up to spotNoticeAttempts. */
    public Job forAttempt(int attempt) {
      return new Job(results, followed, attempt <= spotNoticeAttempts ? spotNotice : null, poll, spotNoticeAttempts);
    }
  }

  /** What this machine needs to boot instances (root, tools); checked before any AWS call. */
  void requireReady();

  /** What can be wrong before anything is launched (where the log goes, the image): exit 2, nothing changed. */
  void check(AwsClients aws, LaunchPlan plan, String logUri);

  /**
   * Boots the launched instance here and follows its job until it has reported and powered off; the
   * emulator's instance is terminated on every way out, as EC2 does after a power-off.
   *
   * @param jobLines gets each line of the job's log as it reaches S3
   */
  JobResult run(AwsClients aws, LaunchReport launched, Job job, Consumer<String> jobLines);

  /**
   * Boots the launched instances of a run of several nodes here, all at once, and follows every
   * node's job until each has reported and powered off, as {@link #run} does for one; every node's
   * instance in the emulator is terminated on every way out.
   *
   * @param job as for {@link #run}, but {@code results} is the run's folder: each node ships its
   *     results into its own folder under it
   * @param jobLines where the lines of a node's log go, by its instance id
   * @return each node's job, in the launch's order of its instances
   */
  List<JobResult> runNodes(AwsClients aws, LaunchReport launched, Job job, Function<String, Consumer<String>> jobLines);
}
