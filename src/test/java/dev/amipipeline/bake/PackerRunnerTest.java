package dev.amipipeline.bake;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class PackerRunnerTest {

  @Test
  void packerGetsOurIdentityOnlyAndNoUpdateCheck() {
    Map<String, String> inherited = Map.of("PATH", "/usr/bin", "HOME", "/root", "AWS_PROFILE", "prod",
        "AWS_ACCESS_KEY_ID", "AKIAOTHER", "AWS_MAX_ATTEMPTS", "1", "AWS_ENDPOINT_URL_EC2", "http://elsewhere",
        "AWS_CA_BUNDLE", "/etc/ca.pem");
    Map<String, String> ours = Map.of("AWS_ACCESS_KEY_ID", "AKIAOURS", "AWS_SECRET_ACCESS_KEY", "s",
        "AWS_REGION", "us-east-1", "AWS_ENDPOINT_URL", "http://127.0.0.1:5000");

    Map<String, String> env = PackerRunner.environment(inherited, ours);

    assertThat(env).containsAllEntriesOf(ours)
        .containsEntry("PATH", "/usr/bin").containsEntry("HOME", "/root").containsEntry("AWS_CA_BUNDLE", "/etc/ca.pem")
        .containsEntry("CHECKPOINT_DISABLE", "1")
        .doesNotContainKeys("AWS_PROFILE", "AWS_MAX_ATTEMPTS", "AWS_ENDPOINT_URL_EC2");
  }
}
