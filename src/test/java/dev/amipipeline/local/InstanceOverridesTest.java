package dev.amipipeline.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.entry;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InstanceOverridesTest {

  @Test
  void theDropInGivesFirstBootItsEndpointsAndMarksItsEnd() {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("AMI_IMDS_ENDPOINT", "http://127.0.0.1:41234");
    env.put("AWS_ENDPOINT_URL", "http://127.0.0.1:5000");
    env.put("AWS_SECRET_ACCESS_KEY", "a\"b\\c%d");

    assertThat(InstanceOverrides.firstBootDropIn(env)).isEqualTo("""
        # Written by ami launch --local into this throwaway copy of the image: first-boot talks to the
        # metadata stand-in and the emulator on the host's loopback.
        [Service]
        Environment="AMI_IMDS_ENDPOINT=http://127.0.0.1:41234"
        Environment="AWS_ENDPOINT_URL=http://127.0.0.1:5000"
        Environment="AWS_SECRET_ACCESS_KEY=a\\"b\\\\c%%d"
        ExecStopPost=/bin/sh -c 'echo "$$SERVICE_RESULT $$EXIT_CODE $$EXIT_STATUS" > /var/lib/ami-pipeline-local/first-boot.ended'
        """);
  }

  @Test
  void cloudInitGetsTheUserDataAndIdentityAsANoCloudSeed() {
    assertThat(InstanceOverrides.cloudInitSeed("i-0123456789abcdef0", "AMI_PROJECT=demo\n")).containsExactly(
        entry("var/lib/cloud/seed/nocloud/meta-data",
            "instance-id: i-0123456789abcdef0\nlocal-hostname: i-0123456789abcdef0\n"),
        entry("var/lib/cloud/seed/nocloud/user-data", "AMI_PROJECT=demo\n"),
        entry("etc/cloud/cloud.cfg.d/99-ami-pipeline-local.cfg", """
            # Written by ami launch --local into this throwaway copy of the image: cloud-init reads the
            # instance's user-data and identity from the seed in /var/lib/cloud/seed/nocloud, in place of
            # EC2's metadata service.
            datasource_list: [ NoCloud, None ]
            """));
  }

  @Test
  void withoutUserDataTheSeedHasAnEmptyOneAndAnIdMustBeAnInstanceId() {
    assertThat(InstanceOverrides.cloudInitSeed("i-0abc1234", null))
        .containsEntry("var/lib/cloud/seed/nocloud/user-data", "");
    assertThatThrownBy(() -> InstanceOverrides.cloudInitSeed("i-1\nuser-data: x", "AMI_PROJECT=demo\n"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void theSeedGoesIntoTheOverlayOnlyWhenTheImageHasCloudInit(@TempDir Path dir) throws IOException {
    Path lower = Files.createDirectories(dir.resolve("lower/usr/bin")).getParent().getParent();
    Path upper = Files.createDirectories(dir.resolve("upper"));
    LocalInstance.Identity identity = new LocalInstance.Identity("i-0123456789abcdef0", "ami-12345678", "us-east-1",
        "AMI_PROJECT=demo\n", "t3.micro", "spot", Map.of(), null, null);

    assertThat(LocalInstance.seedCloudInit(lower, upper, identity)).isFalse();
    try (Stream<Path> written = Files.list(upper)) {
      assertThat(written).isEmpty();
    }

    Files.writeString(lower.resolve("usr/bin/cloud-init"), "#!/usr/bin/python3\n");
    assertThat(LocalInstance.seedCloudInit(lower, upper, identity)).isTrue();
    assertThat(upper.resolve("var/lib/cloud/seed/nocloud/user-data")).hasContent("AMI_PROJECT=demo\n");
    assertThat(upper.resolve("var/lib/cloud/seed/nocloud/meta-data")).content()
        .contains("instance-id: i-0123456789abcdef0");
    assertThat(upper.resolve("etc/cloud/cloud.cfg.d/99-ami-pipeline-local.cfg")).content()
        .contains("datasource_list: [ NoCloud, None ]");
    assertThat(lower.resolve("var")).as("the image stays as baked").doesNotExist();
  }

  @Test
  void aValueCannotBreakOutOfItsLine() {
    assertThatThrownBy(() -> InstanceOverrides.quoted("x\nExecStartPre=/bin/evil"))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
