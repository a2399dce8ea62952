package dev.amipipeline.aws;

import static org.assertj.core.api.Assertions.assertThat;

import dev.amipipeline.testing.Cli;
import dev.amipipeline.testing.MotoExtension;
import dev.amipipeline.testing.MotoServer;
import dev.amipipeline.testing.Shell;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.ssm.model.ParameterType;

@ExtendWith(MotoExtension.class)
class AwsClientsIT {

  @Test
  void factoryClientsTalkToTheEmulator(MotoServer moto) {
    try (AwsClients aws = AwsClients.create(new AwsSettings(MotoServer.REGION, null, moto.endpoint()))) {
      assertThat(aws.ec2().describeRegions().regions()).isNotEmpty();
      aws.ssm().putParameter(b -> b.name("/ami-pipeline/t/run").value("{}").type(ParameterType.STRING));
      assertThat(aws.ssm().getParameter(b -> b.name("/ami-pipeline/t/run")).parameter().value()).isEqualTo("{}");
      assertThat(aws.endpoint()).contains(moto.endpoint());
      assertThat(aws.childEnvironment(aws.region()))
          .containsEntry("AWS_ENDPOINT_URL", moto.endpoint().toString())
          .containsEntry("AWS_ACCESS_KEY_ID", MotoServer.ACCESS_KEY)
          .containsEntry("AWS_REGION", MotoServer.REGION);
    }
  }

  @Test
  void doctorReportsTheAccountOfTheCredentials(MotoServer moto) {
    Cli.Result r = Cli.run(moto, "doctor");
    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.out()).contains("account   123456789012", "region    us-east-1", moto.endpoint().toString(), "demo, ml");
  }

  @Test
  void missingRegionIsExitTwoBeforeAnyCall(MotoServer moto, @TempDir Path home) {
    Map<String, String> env = new HashMap<>(moto.environment());
    env.remove("AWS_REGION");
    env.remove("AWS_DEFAULT_REGION");
    env.put("HOME", home.toString());
    Shell.Result r = Shell.ami(env, "doctor");
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.errLines()).singleElement().asString().startsWith("ami: no AWS region: pass --region");
  }

  @Test
  void missingCredentialsIsExitTwoWithWhatToDo(MotoServer moto, @TempDir Path home) {
    Map<String, String> env = new HashMap<>(moto.environment());
    env.remove("AWS_ACCESS_KEY_ID");
    env.remove("AWS_SECRET_ACCESS_KEY");
    env.put("HOME", home.toString());
    Shell.Result r = Shell.ami(env, "doctor");
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.errLines()).singleElement().asString().startsWith("ami: no AWS credentials found");
  }

  @Test
  void profileRegionIsUsedWhenNoneIsGiven(MotoServer moto, @TempDir Path home) throws Exception {
    Files.createDirectories(home.resolve(".aws"));
    Files.writeString(home.resolve(".aws/config"), "[profile lab]\nregion = eu-west-1\n");
    Files.writeString(home.resolve(".aws/credentials"), "[lab]\naws_access_key_id = a\naws_secret_access_key = b\n");
    Map<String, String> env = new HashMap<>();
    env.put("HOME", home.toString());
    env.put("AWS_ENDPOINT_URL", moto.endpoint().toString());
    env.put("AWS_PROFILE", "lab");
    Shell.Result r = Shell.ami(env, "doctor");
    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.out()).contains("region    eu-west-1");
  }

  @Test
  void refusedEndpointIsOneLineExitOne(@TempDir Path home) throws Exception {
    int closedPort;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      closedPort = s.getLocalPort();
    }
    Map<String, String> env = Map.of("HOME", home.toString(), "AWS_ACCESS_KEY_ID", "a", "AWS_SECRET_ACCESS_KEY", "b",
        "AWS_MAX_ATTEMPTS", "1");
    Shell.Result r = Shell.ami(env, "doctor", "--region", "us-east-1", "--endpoint-url", "http://127.0.0.1:" + closedPort);
    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.errLines()).singleElement().asString().startsWith("ami: cannot reach AWS").contains("Connection refused");
  }
}
