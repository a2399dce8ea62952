package dev.amipipeline.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LogFileTest {

  @TempDir Path tmp;

  @Test
  void everyLineIsOnDiskAsItComesAndTheLastOnesAreAtHand() throws Exception {
    try (LogFile log = LogFile.create(tmp.resolve("logs"), "bake-demo-1")) {
      for (int i = 1; i <= 250; i++) {
        log.write("line " + i);
      }
      assertThat(log.path()).isEqualTo(tmp.resolve("logs/bake-demo-1.log"));
      assertThat(Files.readAllLines(log.path())).hasSize(250).startsWith("line 1").endsWith("line 250");
      assertThat(log.tail(3)).containsExactly("line 248", "line 249", "line 250");
      assertThat(log.tail(1000)).hasSize(200).startsWith("line 51");
    }
  }

  @Test
  void aFolderKeepsItsNewestLogsOnly() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("logs"));
    for (int i = 0; i < LogFile.KEPT + 5; i++) {
      Path old = Files.writeString(dir.resolve("bake-old-" + i + ".log"), "x");
      Files.setLastModifiedTime(old, FileTime.fromMillis(1_000_000L * (i + 1)));
    }
    Files.writeString(dir.resolve("notes.txt"), "not a log");

    LogFile.create(dir, "bake-new").close();

    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files.map(f -> f.getFileName().toString()).toList())
          .hasSize(LogFile.KEPT + 1)
          .contains("bake-new.log", "notes.txt", "bake-old-" + (LogFile.KEPT + 4) + ".log")
          .doesNotContain("bake-old-0.log", "bake-old-5.log");
    }
  }

  @Test
  void aFolderThatCannotBeMadeIsOneLineNamingIt() throws Exception {
    Path file = Files.writeString(tmp.resolve("a-file"), "x");
    assertThatThrownBy(() -> LogFile.create(file.resolve("logs"), "bake-demo"))
        .isInstanceOf(AmiException.Failed.class)
        .hasMessageStartingWith("cannot write the log " + file.resolve("logs/bake-demo.log"))
        .hasMessageEndingWith("; choose another folder with --log-dir");
  }
}
