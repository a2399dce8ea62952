package dev.amipipeline.cli;

import dev.amipipeline.common.AmiException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code ami list}: the project's images and why each is kept or prunable. */
@Command(name = "list",
    header = "List images with their status: current, in use, kept, prunable.",
    mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Shows each project's images and what prune would do with them.", ""})
final class ListCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Option(names = "--project", paramLabel = "P", description = "Only this project (default: every project).")
  String project;

  @Mixin GlobalOptions global;

  @Override
  public Integer call() {
    if (project != null) {
      global.projects().load(project);
    }
    throw new AmiException.Failed("ami list is not implemented yet");
  }
}
