package dev.amipipeline.local;

import java.net.URI;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * What ends a local instance in the emulator when {@code ami launch --local} is gone before its
 * machine (killed with SIGKILL, say): machine.sh runs this script once the container is down, as EC2
 * terminates an instance that powered off, so the emulator does not list it as running for ever. A
 * TerminateInstances query request, signed (SigV4) by curl with the credentials the instance side
 * uses, after a DeleteFleets of a recovering run's fleet; pure.
 */
final class AbandonedInstance {

  /** In the machine's folder, where machine.sh looks for it. */
  static final String SCRIPT = "abandoned.sh";
  private static final Pattern INSTANCE_ID = Pattern.compile("i-[0-9a-f]{8,17}");
  private static final Pattern REGION = Pattern.compile("[a-z0-9-]+");
  private static final Pattern FLEET_ID = Pattern.compile("fleet-[0-9a-f-]{8,40}");

  private AbandonedInstance() {}

  /**
   * @param awsEnvironment AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and maybe
   *     AWS_SESSION_TOKEN, as the instance side gets them
   */
  static String script(Map<String, String> awsEnvironment, String region, String instanceId, String fleetId) {
    if (!INSTANCE_ID.matcher(instanceId).matches() || !REGION.matcher(region).matches()
        || fleetId != null && !FLEET_ID.matcher(fleetId).matches()) {
      throw new IllegalArgumentException("not an instance id, region and fleet id: " + instanceId + ", " + region
          + ", " + fleetId);
    }
    URI endpoint = URI.create(required(awsEnvironment, "AWS_ENDPOINT_URL"));
    StringBuilder curl = new StringBuilder("curl -sS --fail --max-time 20 --aws-sigv4 'aws:amz:" + region + ":ec2'")
        .append(" --user ").append(quoted(required(awsEnvironment, "AWS_ACCESS_KEY_ID") + ":"
            + required(awsEnvironment, "AWS_SECRET_ACCESS_KEY")));
    String token = awsEnvironment.get("AWS_SESSION_TOKEN");
    if (token != null) {
      curl.append(" -H ").append(quoted("X-Amz-Security-Token: " + token));
    }
    String ec2 = curl + " " + quoted(endpoint.resolve("/").toString()) + " --data ";
    StringBuilder script = new StringBuilder("""
        #!/usr/bin/env bash
        # Written by ami launch --local: run by machine.sh when the command ended before its machine, so
        # that the emulator's instance ends with the machine, as EC2 ends an instance that powered off.
        set -uo pipefail
        """);
    if (fleetId != null) {
      // The run's fleet first: nothing replaces its instances once this command is gone.
      script.append(ec2).append("'Action=DeleteFleets&Version=2016-11-15&FleetId.1=").append(fleetId)
          .append("&TerminateInstances=true'\n");
    }
    script.append(ec2).append("'Action=TerminateInstances&Version=2016-11-15&InstanceId.1=").append(instanceId)
        .append("'\n");
    return script.toString();
  }

  private static String required(Map<String, String> env, String name) {
    String value = env.get(name);
    if (value == null || value.isEmpty()) {
      throw new IllegalArgumentException(name + " is needed to end the emulator's instance");
    }
    return value;
  }

  /** {@code value} as one word for bash, in single quotes. */
  static String quoted(String value) {
    return "'" + value.replace("'", "'\\''") + "'";
  }
}
