package dev.amipipeline.common;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.util.ArrayDeque;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;
import java.util.stream.Stream;

/**
 * The full log of one long step (a bake's Packer run, the local root's build), written line by line
 * as it comes, so it is there to read while the step runs and after it failed. Keeps its last
 * lines for the error report. Making one removes the oldest logs beyond {@link #KEPT} in its folder.
 */
public final class LogFile implements AutoCloseable {

  /** How many logs a folder keeps: the newest. */
  public static final int KEPT = 100;
  private static final int TAIL = 200;

  private final Path path;
  private final BufferedWriter writer;
  private final Deque<String> tail = new ArrayDeque<>();

  private LogFile(Path path, BufferedWriter writer) {
    this.path = path;
    this.writer = writer;
  }

  /** Creates {@code dir/name.log} (and {@code dir}); a folder that cannot be written is a failure naming it. */
  public static LogFile create(Path dir, String name) {
    Path path = dir.resolve(name + ".log").toAbsolutePath();
    try {
      Files.createDirectories(dir);
      removeOld(dir);
      return new LogFile(path, Files.newBufferedWriter(path, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
          StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE));
    } catch (IOException e) {
      throw new AmiException.Failed("cannot write the log " + path + ": " + e.getMessage()
          + "; choose another folder with --log-dir", e);
    }
  }

  public Path path() {
    return path;
  }

  /** Appends one line; a log that can no longer be written loses the line, never the step. */
  public synchronized void write(String line) {
    tail.addLast(line);
    if (tail.size() > TAIL) {
      tail.removeFirst();
    }
    try {
      writer.write(line);
      writer.newLine();
      writer.flush();
    } catch (IOException e) {
      // a full disk must not fail a bake that is otherwise fine; the tail still has the line
    }
  }

  /** The last {@code n} lines written (at most 200). */
  public synchronized List<String> tail(int n) {
    return tail.stream().skip(Math.max(0, tail.size() - n)).toList();
  }

  @Override
  public synchronized void close() {
    try {
      writer.close();
    } catch (IOException e) {
      // nothing more to write
    }
  }

  private static void removeOld(Path dir) throws IOException {
    List<Path> logs;
    try (Stream<Path> files = Files.list(dir)) {
      logs = files.filter(f -> f.getFileName().toString().endsWith(".log") && Files.isRegularFile(f))
          .sorted(Comparator.comparing(LogFile::modified).reversed())
          .toList();
    }
    for (Path old : logs.subList(Math.min(logs.size(), KEPT - 1), logs.size())) {
      Files.deleteIfExists(old);
    }
  }

  private static FileTime modified(Path file) {
    try {
      return Files.getLastModifiedTime(file);
    } catch (IOException e) {
      return FileTime.fromMillis(0);
    }
  }
}
