package dev.amipipeline.common;

/** Where a command that follows a job writes while it runs: notes, and the lines of the job's log. */
public interface JobOutput {

  /** A progress line or note (stderr). */
  void progress(String line);

  /** One line of the followed job's log. */
  void jobLine(String line);
}
