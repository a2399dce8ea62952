package dev.amipipeline.bake;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class SourceImageTest {

  private static SourceImage image(String id, String name, String created) {
    return new SourceImage(id, name, "/dev/sda1", created);
  }

  @Test
  void newestByCreationDate() {
    assertThat(SourceImage.newest(List.of(
        image("ami-1", "ubuntu-20240101", "2024-01-01T00:00:00.000Z"),
        image("ami-3", "ubuntu-20240301", "2024-03-01T00:00:00.000Z"),
        image("ami-2", "ubuntu-20240201", "2024-02-01T00:00:00.000Z"))))
        .map(SourceImage::id).contains("ami-3");
  }

  @Test
  void equalDatesAreSettledByNameSoThePickIsStable() {
    // moto gives its preloaded images one creation date
    List<SourceImage> same = List.of(
        image("ami-785db401", "ubuntu/images/hvm-ssd/ubuntu-xenial-16.04-amd64-server-20170721", "2026-11-22T19:53:28.000Z"),
        image("ami-1e749f67", "ubuntu/images/hvm-ssd/ubuntu-trusty-14.04-amd64-server-20170727", "2026-11-22T19:53:28.000Z"));
    assertThat(SourceImage.newest(same)).map(SourceImage::id).contains("ami-785db401");
    assertThat(SourceImage.newest(List.of(same.get(1), same.get(0)))).map(SourceImage::id).contains("ami-785db401");
  }

  @Test
  void noCandidatesNoImage() {
    assertThat(SourceImage.newest(List.of())).isEmpty();
  }
}
