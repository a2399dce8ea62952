package dev.amipipeline.cli;

import dev.amipipeline.common.AmiException;
import dev.amipipeline.history.HistoryFile;
import dev.amipipeline.project.ProjectRepository;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ami history-merge}: takes each named project's rows from another copy of ami-history.md.
 * The nightly workflow bakes projects in parallel jobs and merges their copies with this.
 */
@Command(name = "history-merge", hidden = true, mixinStandardHelpOptions = true,
    description = {"Replace each project's rows in --into by its rows in the given copy.",
        "Example: ami history-merge --into ami-history.md --from ml=histories/history-ml/ami-history.md"})
final class HistoryMergeCommand implements Callable<Integer> {

  @Option(names = "--into", paramLabel = "FILE", defaultValue = "${env:AMI_HOME:-.}/ami-history.md",
      description = "The history file to update (default: ${DEFAULT-VALUE}).")
  Path into;

  @Option(names = "--from", paramLabel = "PROJECT=FILE", required = true,
      description = "A project and the copy holding its rows; repeat for each project.")
  Map<String, Path> from;

  @Override
  public Integer call() {
    from.forEach((project, file) -> {
      ProjectRepository.checkName(project);
      if (!Files.isReadable(file)) {
        throw new AmiException.BadInput("--from " + project + "=" + file + ": cannot read the file");
      }
    });
    new HistoryFile(into).update(table -> {
      var merged = table;
      for (Map.Entry<String, Path> e : from.entrySet()) {
        merged = merged.withProjectRowsFrom(e.getKey(), new HistoryFile(e.getValue()).read());
      }
      return merged;
    });
    return 0;
  }
}
