package dev.amipipeline.launch;

import com.fasterxml.jackson.annotation.JsonValue;
import dev.amipipeline.common.Report;

/**
 * A launch whose job was followed. In text only the job's ending is left to print: the instances
 * were shown before the log. In JSON it is the launch with its job, one object on stdout.
 */
record FollowedLaunch(@JsonValue LaunchReport launch) implements Report {

  FollowedLaunch {
    if (launch.job() == null) {
      throw new IllegalArgumentException("a followed launch has its job's result");
    }
  }

  @Override
  public String toText() {
    return launch.job().toText();
  }
}
