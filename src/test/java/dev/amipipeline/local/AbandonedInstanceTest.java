package dev.amipipeline.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.amipipeline.testing.Shell;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The script machine.sh runs when ami launch --local died before its machine. Here its request is
 * checked against what the EC2 query API requires (a form POST of Action, Version and InstanceId.1,
 * signed with SigV4 for the ec2 service in the region); that it ends the emulator's instance is
 * LocalInstanceIT's kill test.
 */
class AbandonedInstanceTest {

  @Test
  void aSignedTerminateInstancesOfTheOneInstanceAtTheEmulator() {
    String script = AbandonedInstance.script(Map.of("AWS_ENDPOINT_URL", "http://127.0.0.1:5000",
        "AWS_ACCESS_KEY_ID", "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY", "se'cret"), "eu-west-1", "i-0123456789abcdef0",
        null);

    assertThat(script).startsWith("#!/usr/bin/env bash\n").contains("\nset -uo pipefail\n").endsWith("\n"
        + "curl -sS --fail --max-time 20 --aws-sigv4 'aws:amz:eu-west-1:ec2' --user 'AKIDEXAMPLE:se'\\''cret'"
        + " 'http://127.0.0.1:5000/'"
        + " --data 'Action=TerminateInstances&Version=2016-11-15&InstanceId.1=i-0123456789abcdef0'\n");
  }

  @Test
  void aRecoveringRunsFleetIsDeletedFirstWithItsInstancesAndTheInstanceTerminatedAfterAnyway() {
    String script = AbandonedInstance.script(Map.of("AWS_ENDPOINT_URL", "http://127.0.0.1:5000",
        "AWS_ACCESS_KEY_ID", "AKID", "AWS_SECRET_ACCESS_KEY", "s"), "us-east-1", "i-0123456789abcdef0",
        "fleet-1b2c3d4e-5f60-7182-93a4-b5c6d7e8f901");

    List<String> calls = script.lines().filter(l -> l.startsWith("curl ")).toList();
    assertThat(calls).hasSize(2);
    assertThat(calls.get(0)).endsWith(" --data 'Action=DeleteFleets&Version=2016-11-15"
        + "&FleetId.1=fleet-1b2c3d4e-5f60-7182-93a4-b5c6d7e8f901&TerminateInstances=true'");
    assertThat(calls.get(1)).endsWith("&InstanceId.1=i-0123456789abcdef0'");
    assertThat(script).as("a failed delete does not stop the terminate").doesNotContain("set -e");
  }

  @Test
  void aSessionTokenTravelsAsItsHeaderAndTheScriptIsValidBash(@TempDir Path dir) throws Exception {
    String script = AbandonedInstance.script(Map.of("AWS_ENDPOINT_URL", "http://127.0.0.1:5000/",
        "AWS_ACCESS_KEY_ID", "AKID", "AWS_SECRET_ACCESS_KEY", "s", "AWS_SESSION_TOKEN", "tok$en"), "us-east-1",
        "i-0123456789abcdef0", null);

    assertThat(script).contains(" -H 'X-Amz-Security-Token: tok$en' ");
    Path file = Files.writeString(dir.resolve(AbandonedInstance.SCRIPT), script);
    Shell.Result syntax = Shell.run(List.of("bash", "-n", file.toString()), Map.of(), Duration.ofSeconds(10));
    assertThat(syntax.exitCode()).as(syntax.err()).isZero();
  }

  @Test
  void onlyAnInstanceIdARegionAndAFleetIdGoIntoIt() {
    Map<String, String> env = Map.of("AWS_ENDPOINT_URL", "http://127.0.0.1:5000", "AWS_ACCESS_KEY_ID", "a",
        "AWS_SECRET_ACCESS_KEY", "b");
    assertThatThrownBy(() -> AbandonedInstance.script(env, "us-east-1", "i-1; rm -rf /", null))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> AbandonedInstance.script(env, "us east", "i-0123456789abcdef0", null))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> AbandonedInstance.script(env, "us-east-1", "i-0123456789abcdef0", "fleet-1'x"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> AbandonedInstance.script(Map.of(), "us-east-1", "i-0123456789abcdef0", null))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
