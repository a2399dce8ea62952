package dev.amipipeline.local;

import static org.assertj.core.api.Assertions.assertThat;

import dev.amipipeline.project.ProjectSpec;
import java.util.List;
import org.junit.jupiter.api.Test;

class RootRecipeTest {

  private static ProjectSpec.Bake bake(boolean git, int jdk, boolean gpu, List<String> packages) {
    return new ProjectSpec.Bake(new ProjectSpec.BaseImage(null, List.of("099720109477"), "ubuntu/*", null),
        "t3.micro", "ubuntu", null, git, jdk, gpu, packages, true);
  }

  @Test
  void theRepositoryHoldsWhatTheProvisionersInstallOnDebian() {
    RootRecipe demo = RootRecipe.forBake(bake(true, 17, false, List.of()));
    assertThat(demo.packages()).containsExactly("awscli", "curl", "git", "jq", "openjdk-17-jdk-headless");

    RootRecipe ml = RootRecipe.forBake(bake(true, 21, true, List.of("tmux", "htop", "jq")));
    assertThat(ml.packages()).as("the GPU driver is not for a container; extras once, sorted")
        .containsExactly("awscli", "curl", "git", "htop", "jq", "openjdk-21-jdk-headless", "tmux");

    RootRecipe bare = RootRecipe.forBake(bake(false, 0, false, List.of()));
    assertThat(bare.packages()).as("first-boot's own tools stay").containsExactly("awscli", "curl", "jq");
  }

  @Test
  void theBaseRootBootsAndTakesPackersSsh() {
    assertThat(RootRecipe.forBake(bake(true, 17, false, List.of())).include())
        .contains("systemd", "systemd-sysv", "openssh-server", "sudo", "libnss-myhostname");
  }

  @Test
  void namesChangeWithWhatThePiecesAreMadeOf() {
    RootRecipe demo = RootRecipe.forBake(bake(true, 17, false, List.of()));
    RootRecipe ml = RootRecipe.forBake(bake(true, 17, false, List.of("htop")));

    assertThat(demo.baseName("script-v1")).matches("debian-bookworm-[0-9a-f]{16}\\.tar\\.zst")
        .as("one base for every project").isEqualTo(ml.baseName("script-v1"))
        .as("another build script, another base").isNotEqualTo(demo.baseName("script-v2"));
    assertThat(demo.packagesName("script-v1")).isNotEqualTo(ml.packagesName("script-v1"))
        .startsWith(demo.packagesPrefix("script-v1"))
        .isEqualTo(RootRecipe.forBake(bake(true, 17, false, List.of())).packagesName("script-v1"));
    assertThat(ml.packagesName("script-v1")).startsWith(demo.packagesPrefix("script-v1"));
    assertThat(demo.packagesName("script-v2")).doesNotStartWith(demo.packagesPrefix("script-v1"));
  }
}
