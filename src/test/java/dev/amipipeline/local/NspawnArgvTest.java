package dev.amipipeline.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class NspawnArgvTest {

  @Test
  void bootsTheRootUnownedBySystemdChangingNothingInIt() {
    assertThat(NspawnArgv.boot("i-0abc123", Path.of("/state/machines/i-0abc123/root"),
        Map.of(Path.of("/cache/packages-1-2"), "/var/lib/ami-pipeline-local-repo"))).containsExactly(
        "systemd-nspawn", "--quiet", "--directory=/state/machines/i-0abc123/root", "--machine=i-0abc123",
        "--register=no", "--keep-unit", "--console=passive", "--resolv-conf=off", "--timezone=off",
        "--link-journal=no", "--bind-ro=/cache/packages-1-2:/var/lib/ami-pipeline-local-repo", "--boot");
  }

  @Test
  void aMachineNameIsAHostname() {
    assertThatThrownBy(() -> NspawnArgv.boot("I_0ABC", Path.of("/r"), Map.of()))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> NspawnArgv.boot("--boot", Path.of("/r"), Map.of()))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void theLineNspawnPrintsOnEveryExitIsNoise() {
    assertThat(NspawnArgv.isNoise("Attempted to remove disk file system under \"/run/systemd/nspawn/propagate/x\","
        + " and we can't allow that.")).isTrue();
    assertThat(NspawnArgv.isNoise("Directory /x doesn't look like it has an OS tree. Refusing.")).isFalse();
  }
}
