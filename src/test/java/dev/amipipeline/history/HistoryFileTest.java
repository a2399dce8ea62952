package dev.amipipeline.history;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HistoryFileTest {

  @Test
  void concurrentUpdatesLoseNoRow(@TempDir Path dir) throws Exception {
    HistoryFile file = new HistoryFile(dir.resolve("ami-history.md"));
    ExecutorService pool = Executors.newFixedThreadPool(4);
    for (int i = 0; i < 20; i++) {
      String ami = "ami-" + i;
      pool.submit(() -> file.update(t -> t.append(List.of(new HistoryRow("2026-11-22 10:00:00", "p" + ami, "us-east-1",
          ami, List.of(), "ami-src", "h", "c", "current")))));
    }
    pool.shutdown();
    assertThat(pool.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
    assertThat(file.read().rows()).hasSize(20);
    assertThat(Files.readString(dir.resolve("ami-history.md"))).startsWith("# AMI history");
  }
}
