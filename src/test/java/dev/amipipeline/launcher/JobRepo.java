package dev.amipipeline.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import dev.amipipeline.testing.Shell;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A project's repository as the instance sees it: a local bare git repository (branch main, tag v1)
 * holding small job scripts that the first-boot tests run.
 */
final class JobRepo {

  /** Says who and where it runs, and echoes an environment variable from the run configuration. */
  static final String HELLO = """
      #!/bin/bash
      echo "hello from $AMI_PROJECT on $AMI_INSTANCE_ID as $(id -un)"
      echo "greeting: $GREETING"
      echo "work dir: $PWD"
      echo "home: $HOME"
      echo "to stderr" >&2
      """;

  /**
   * A training job: checkpoints on SIGTERM, and a run that finds the checkpoint finishes at once.
   * $STARTED is touched when it is under way.
   */
  static final String TRAIN = """
      #!/bin/bash
      if [ -f checkpoint ]; then echo "resuming from $(cat checkpoint)"; exit 0; fi
      trap 'echo "SIGTERM: saving a checkpoint"; echo epoch-7 > checkpoint; exit 143' TERM
      echo "training started"
      touch "$STARTED"
      while :; do sleep 0.2; done
      """;

  /** Ignores SIGTERM: only SIGKILL ends it. */
  static final String STUBBORN = """
      #!/bin/bash
      trap 'echo "SIGTERM ignored"' TERM
      echo "running until killed"
      while :; do sleep 0.2; done
      """;

  /** Writes a first line, then waits until the file $RELEASE exists. */
  static final String PAUSED = """
      #!/bin/bash
      echo "halfway"
      while [ ! -e "$RELEASE" ]; do sleep 0.2; done
      echo "all done"
      """;

  private final Path bare;
  private final String mainCommit;

  private JobRepo(Path bare, String mainCommit) {
    this.bare = bare;
    this.mainCommit = mainCommit;
  }

  static JobRepo create(Path dir) {
    Path work = dir.resolve("job-src");
    Path bare = dir.resolve("job.git");
    try {
      Files.createDirectories(work);
      script(work, "hello.sh", HELLO);
      script(work, "train.sh", TRAIN);
      script(work, "stubborn.sh", STUBBORN);
      script(work, "paused.sh", PAUSED);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    git(dir, "init", "-q", "--bare", bare.toString());
    git(work, "init", "-q", "-b", "main");
    git(work, "add", ".");
    git(work, "commit", "-q", "-m", "job scripts");
    git(work, "tag", "v1");
    git(work, "push", "-q", "--tags", bare.toString(), "main");
    String commit = git(work, "rev-parse", "HEAD").strip();
    return new JobRepo(bare, commit);
  }

  /** The URL the run configuration names (a path: git clones it like any remote). */
  String url() {
    return bare.toString();
  }

  String mainCommit() {
    return mainCommit;
  }

  private static void script(Path dir, String name, String text) throws IOException {
    Path file = dir.resolve(name);
    Files.writeString(file, text);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  private static String git(Path dir, String... args) {
    List<String> cmd = new ArrayList<>(List.of("git", "-C", dir.toString(),
        "-c", "user.name=Job Author", "-c", "user.email=author@example.invalid"));
    cmd.addAll(List.of(args));
    Shell.Result r = Shell.run(cmd, Map.of(), Duration.ofSeconds(30));
    assertThat(r.exitCode()).as("git %s: %s", List.of(args), r.err()).isZero();
    return r.out();
  }
}
