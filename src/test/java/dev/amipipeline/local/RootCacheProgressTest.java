package dev.amipipeline.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The recording is the full log of a real build of the local root for the demo project (both runs
 * of root-cache.sh: debootstrap, then the package download), 772 lines.
 */
class RootCacheProgressTest {

  private static List<String> shown(List<String> log) {
    RootCacheProgress progress = new RootCacheProgress();
    List<String> shown = new ArrayList<>();
    log.forEach(line -> shown.addAll(progress.accept(line)));
    shown.addAll(progress.end());
    return shown;
  }

  @Test
  void aRealBuildIsOneLinePerPhaseWithItsCounts() throws IOException {
    List<String> log;
    try (InputStream in = RootCacheProgressTest.class.getResourceAsStream("root-cache-build.txt")) {
      log = new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
    }

    assertThat(shown(log)).containsExactly(
        "debootstrap bookworm from http://deb.debian.org/debian (minbase + ca-certificates,curl,libnss-myhostname,"
            + "openssh-server,sudo,systemd,systemd-sysv)",
        "Debian's package lists read",
        "138 packages fetched",
        "88 essential packages extracted",
        "base system installed: 138 packages unpacked and configured",
        "packing /root/.cache/ami-pipeline/local-root/debian-bookworm-5e79df232018f671.tar.zst",
        "downloading awscli curl git jq openjdk-17-jdk-headless and their dependencies from http://deb.debian.org/debian",
        "package lists read (15.0 MB in 5s)",
        "71 of 71 packages fetched (161 MB in 1s)",
        "71 packages in the local repository");
    assertThat(log).hasSize(772);
  }

  @Test
  void warningsErrorsAndUnknownLinesPassThroughAfterThePhaseSoFar() {
    assertThat(shown(List.of("I: Retrieving libacl1 2.3.1-3", "I: Validating libacl1 2.3.1-3",
        "W: Failure trying to run: chroot /x mount -t proc proc /proc", "E: Couldn't download packages: sudo")))
        .containsExactly("1 packages fetched", "W: Failure trying to run: chroot /x mount -t proc proc /proc",
            "E: Couldn't download packages: sudo");
    assertThat(shown(List.of("0 upgraded, 3 newly installed, 0 to remove and 0 not upgraded.",
        "Get:1 http://deb.debian.org/debian bookworm/main amd64 jq amd64 1.6-2.1 [64.9 kB]",
        "E: Failed to fetch http://deb.debian.org/debian/pool/main/libo/libonig5.deb  404  Not Found")))
        .containsExactly("1 of 3 packages fetched",
            "E: Failed to fetch http://deb.debian.org/debian/pool/main/libo/libonig5.deb  404  Not Found");
  }
}
