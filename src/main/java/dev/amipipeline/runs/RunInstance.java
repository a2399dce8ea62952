package dev.amipipeline.runs;

import dev.amipipeline.results.ExitStatus;
import dev.amipipeline.results.ResultFolder;
import java.time.Instant;
import java.util.Set;

/**
 * One instance of a run, from what EC2 lists and what S3 holds.
 *
 * @param attempt the attempt it belongs to (1, 2, … across spot recoveries)
 * @param market {@code spot}, {@code on-demand}, or null once EC2 no longer lists it
 * @param ec2State EC2's state name, or null once EC2 no longer lists it
 * @param cancelledAt its {@code ami-pipeline:cancelled} tag while EC2 lists it, else null
 * @param exitStatus what the instance reported at its end, or null
 * @param results its results folder (where they are, or will be)
 */
public record RunInstance(String instanceId, int attempt, String instanceType, String market, String ec2State,
    Instant launchTime, String cancelledAt, ExitStatus exitStatus, ResultFolder results) {

  /** States of an instance that has not ended: it may still upload. */
  static final Set<String> LIVE = Set.of("pending", "running", "shutting-down", "stopping", "stopped");
  /** States in which an instance can still be told to end. */
  static final Set<String> TERMINABLE = Set.of("pending", "running", "stopping", "stopped");

  public boolean live() {
    return ec2State != null && LIVE.contains(ec2State);
  }

  public boolean terminable() {
    return ec2State != null && TERMINABLE.contains(ec2State);
  }
}
