package dev.amipipeline.bake;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.amipipeline.common.AmiException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SshTargetTest {

  @Test
  void hostAndPort() {
    assertThat(SshTarget.parse("127.0.0.1:2222", Path.of("k"))).isEqualTo(new SshTarget("127.0.0.1", 2222, Path.of("k")));
    assertThat(SshTarget.parse("bastion.example", null)).isEqualTo(new SshTarget("bastion.example", 22, null));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", ":22", "host:", "host:0", "host:70000", "host:ssh"})
  void badTargetsAreBadInput(String target) {
    assertThatThrownBy(() -> SshTarget.parse(target, null))
        .isInstanceOf(AmiException.BadInput.class).hasMessageContaining("--ssh-target");
  }
}
