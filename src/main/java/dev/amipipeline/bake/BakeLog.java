package dev.amipipeline.bake;

import dev.amipipeline.common.LogFile;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Where one bake's Packer output goes: every line, with the {@code [bake P mm:ss]} prefix, to the
 * bake's log file; to the progress stream (stderr) the steps view, or every line with
 * {@code --packer-output full}. After a failure it shows the log's last lines.
 */
final class BakeLog implements AutoCloseable {

  static final int FAILURE_TAIL = 30;

  private final LogFile file;
  private final boolean full;
  private final PrintWriter progress;
  private final Clock clock;
  private final String project;
  private final Instant started;
  private PackerLines.Steps steps = new PackerLines.Steps();

  private BakeLog(LogFile file, boolean full, PrintWriter progress, Clock clock, String project, Instant started) {
    this.file = file;
    this.full = full;
    this.progress = progress;
    this.clock = clock;
    this.project = project;
    this.started = started;
  }

  /** Opens {@code dir/name.log} and says where it is. */
  static BakeLog open(Path dir, String name, boolean full, PrintWriter progress, Clock clock, String project,
      Instant started) {
    BakeLog log = new BakeLog(LogFile.create(dir, name), full, progress, clock, project, started);
    log.showWhere();
    return log;
  }

  Path path() {
    return file.path();
  }

  /** A Packer run begins: its command (secrets masked) heads its part of the log. */
  void command(List<String> argv) {
    file.write("$ " + PackerArgv.display(argv));
    steps = new PackerLines.Steps();
  }

  /** One line of Packer's output, as it comes. */
  void accept(PackerLines.Line line) {
    String prefix = PackerOutput.prefix(project, Duration.between(started, clock.instant()));
    file.write(prefix + line.text());
    Optional<String> shown = full ? Optional.of(PackerLines.printable(line.text())) : steps.show(line);
    shown.ifPresent(text -> say(prefix + text));
  }

  /** Where the log is, e.g. after an interrupt. */
  void showWhere() {
    say("ami: Packer's full output: " + path());
  }

  /** After a failure: where the log is and, unless every line was shown already, its last lines. */
  void showFailure() {
    if (full) {
      showWhere();
      return;
    }
    List<String> tail = file.tail(FAILURE_TAIL);
    synchronized (progress) {
      progress.println("ami: the last " + tail.size() + " lines of " + path() + ":");
      tail.forEach(l -> progress.println(PackerLines.printable(l)));
      progress.flush();
    }
  }

  private void say(String line) {
    synchronized (progress) {
      progress.println(line);
      progress.flush();
    }
  }

  @Override
  public void close() {
    file.close();
  }
}
