package dev.amipipeline.history;

import dev.amipipeline.common.AmiException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.function.UnaryOperator;

/**
 * The edge around {@link HistoryTable}: read, change, write back atomically, under a file lock so
 * two bakes on one machine never lose each other's rows. The lock file stays (deleting it would let a
 * waiting process and a new one both hold "the" lock).
 */
public final class HistoryFile {

  private final Path file;

  public HistoryFile(Path file) {
    this.file = file;
  }

  public Path path() {
    return file;
  }

  public HistoryTable read() {
    try {
      return HistoryTable.parse(Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "");
    } catch (IOException e) {
      throw new AmiException.Failed("cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  /** File locks are per process; threads of this process queue here first. */
  private static final Object IN_PROCESS = new Object();

  public void update(UnaryOperator<HistoryTable> change) {
    synchronized (IN_PROCESS) {
      updateLocked(change);
    }
  }

  @SuppressWarnings("try") // the lock is held for the block; its variable is not used
  private void updateLocked(UnaryOperator<HistoryTable> change) {
    Path abs = file.toAbsolutePath();
    Path lockFile = abs.resolveSibling("." + abs.getFileName() + ".lock");
    try {
      Files.createDirectories(abs.getParent());
      try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
          FileLock held = channel.lock()) {
        String text = change.apply(read()).render();
        Path tmp = Files.createTempFile(abs.getParent(), "." + abs.getFileName(), ".tmp");
        Files.writeString(tmp, text, StandardCharsets.UTF_8);
        try {
          Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
          Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
        }
      }
    } catch (IOException e) {
      throw new AmiException.Failed("cannot write " + file + ": " + e.getMessage(), e);
    }
  }
}
