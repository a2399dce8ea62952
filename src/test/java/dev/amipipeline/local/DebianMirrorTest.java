package dev.amipipeline.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class DebianMirrorTest {

  @Test
  void theArchiveOfEitherSourcesFormatNotTheSecurityOne() {
    assertThat(DebianMirror.of(List.of("""
        Types: deb
        URIs: http://ftp.de.debian.org/debian
        Suites: bookworm bookworm-updates
        Components: main

        Types: deb
        URIs: http://deb.debian.org/debian-security
        Suites: bookworm-security
        """))).isEqualTo("http://ftp.de.debian.org/debian");
    assertThat(DebianMirror.of(List.of("""
        # deb cdrom:[Debian GNU/Linux 12]/ bookworm main
        deb http://security.debian.org/debian-security bookworm-security main
        deb [arch=amd64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] https://mirror.example/debian/ bookworm main
        """))).isEqualTo("https://mirror.example/debian");
  }

  @Test
  void debDebianOrgWhenNothingSaysOtherwise() {
    assertThat(DebianMirror.of(List.of("deb https://packages.cloud.google.com/apt cloud-sdk main"))).isEqualTo(
        "http://deb.debian.org/debian");
    assertThat(DebianMirror.of(List.of())).isEqualTo("http://deb.debian.org/debian");
  }
}
