package dev.amipipeline.launcher;

import dev.amipipeline.testing.Shell;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * A project's repository as the instance sees it: a local bare git repository (branch main, tag v1)
 * holding small job scripts that the first-boot tests run.
 */
final class JobRepo {

  /** Says who and where it runs, and echoes an environment variable from the run configuration. */
  static final String HELLO = """
      #!/bin/bash
      echo "hello from $AMI_PROJECT on $AMI_INSTANCE_ID as $(id -un)"
      echo "run $AMI_RUN_ID, attempt $AMI_ATTEMPT, checkpoints in $AMI_CHECKPOINT_DIR, gpus $AMI_GPUS_PER_NODE"
      echo "node $AMI_NODE_RANK of $AMI_NODE_COUNT, master $AMI_MASTER_ADDR, nodes $(echo $AMI_NODE_IPS)"
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

  /**
   * A training job with a checkpoint folder ($AMI_CHECKPOINT_DIR): resumes from what it finds there;
   * else saves a first file at once and its progress on SIGTERM. $STARTED is touched when it is
   * under way.
   */
  static final String CHECKPOINTED = """
      #!/bin/bash
      echo "attempt $AMI_ATTEMPT of run $AMI_RUN_ID as $(id -un), checkpoints in $AMI_CHECKPOINT_DIR"
      if [ -f "$AMI_CHECKPOINT_DIR/epoch" ]; then echo "resuming from $(cat "$AMI_CHECKPOINT_DIR/epoch")"; exit 0; fi
      trap 'echo "SIGTERM: saving a checkpoint"; echo epoch-7 > "$AMI_CHECKPOINT_DIR/epoch"; exit 143' TERM
      echo epoch-1 > "$AMI_CHECKPOINT_DIR/early"
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
      script(work, "checkpointed.sh", CHECKPOINTED);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Shell.git(dir, "init", "-q", "--bare", bare.toString());
    Shell.git(work, "init", "-q", "-b", "main");
    Shell.git(work, "add", ".");
    Shell.git(work, "commit", "-q", "-m", "job scripts");
    Shell.git(work, "tag", "v1");
    Shell.git(work, "push", "-q", "--tags", bare.toString(), "main");
    String commit = Shell.git(work, "rev-parse", "HEAD").strip();
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
}
