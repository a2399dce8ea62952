package dev.amipipeline.cli;

import dev.amipipeline.aws.AwsClients;
import dev.amipipeline.project.Project;
import dev.amipipeline.prune.Pruner;
import java.time.Clock;
import java.util.List;
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
    description = {"Shows each project's images, what 'ami prune' with the project's keep",
        "would do with them, and why, and what it would clean up besides (orphan",
        "snapshots, stale builders, leaked fleets of ended runs). Changes nothing.",
        "",
        "Examples:",
        "  ami list",
        "  ami list --project ml --output json",
        ""})
final class ListCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Option(names = "--project", paramLabel = "P", description = "Only this project (default: every project).")
  String project;

  @Mixin GlobalOptions global;

  @Override
  public Integer call() {
    List<Project> projects = project == null ? global.projects().loadAll() : List.of(global.projects().load(project));
    try (AwsClients aws = global.aws()) {
      Pruner pruner = new Pruner(aws, global.ssmPrefix(), Clock.systemUTC(), Printer.progress(spec)::println);
      return Printer.print(spec, global, pruner.list(projects));
    }
  }
}
