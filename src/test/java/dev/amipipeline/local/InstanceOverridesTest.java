package dev.amipipeline.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

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
  void aValueCannotBreakOutOfItsLine() {
    assertThatThrownBy(() -> InstanceOverrides.quoted("x\nExecStartPre=/bin/evil"))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
