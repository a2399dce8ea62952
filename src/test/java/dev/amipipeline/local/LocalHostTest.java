package dev.amipipeline.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class LocalHostTest {

  @Test
  void eachMissingToolWithTheDebianPackageThatHasIt() {
    Set<String> installed = Set.of("tar", "chroot");
    assertThat(LocalHost.missing(LocalHost.BAKE_TOOLS, installed::contains)).containsExactly(
        Map.entry("systemd-nspawn", "systemd-container"), Map.entry("zstd", "zstd"),
        Map.entry("ssh-keygen", "openssh-client"), Map.entry("debootstrap", "debootstrap"),
        Map.entry("dpkg-scanpackages", "dpkg-dev"));
    assertThat(LocalHost.missing(LocalHost.MACHINE_TOOLS, t -> true)).isEmpty();
  }

  @Test
  void pathsFollowTheEnvironment() {
    assertThat(LocalPaths.fromEnvironment(Map.of("HOME", "/home/u", "AMI_HOME", "/repo"))).isEqualTo(
        new LocalPaths(Path.of("/home/u/.cache/ami-pipeline/local-root"), Path.of("/repo/.local-aws")));
    LocalPaths set = LocalPaths.fromEnvironment(Map.of("HOME", "/home/u", "XDG_CACHE_HOME", "/c",
        "AMI_LOCAL_STATE", "/s"));
    assertThat(List.of(set.cache(), set.images(), set.machines())).containsExactly(
        Path.of("/c/ami-pipeline/local-root"), Path.of("/s/images"), Path.of("/s/machines"));
  }
}
