package dev.amipipeline.cli;

import dev.amipipeline.aws.AwsClients;
import dev.amipipeline.common.AmiException;
import dev.amipipeline.common.Durations;
import dev.amipipeline.project.Project;
import dev.amipipeline.prune.Pruner;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code ami prune}: deregister old AMIs and delete their snapshots, never one in use. */
@Command(name = "prune",
    header = "Deregister old AMIs and delete their snapshots, never one in use.",
    mixinStandardHelpOptions = true, sortOptions = false,
    description = {
        "Deregisters old AMIs of ami-pipeline projects and deletes their EBS snapshots.",
        "Always kept: the newest N; the current SSM image and its N-1 previous versions;",
        "images used by any instance that is not terminated; images named in any launch",
        "template version; images younger than --min-age. Only images owned by this",
        "account and tagged ami-pipeline:project are ever considered. A snapshot another",
        "image still uses is kept.",
        "Also cleaned up: snapshots with a bake's tags whose image is gone (an interrupted",
        "prune), builder instances a killed Packer left for 6 hours or more, with",
        "their packer_* key pair and security group, and leaked fleets: a recovering",
        "run's EC2 Fleet still active after the run ended (deleted with its instances).",
        "",
        "Examples:",
        "  ami prune --keep 3                     # every project",
        "  ami prune --project ml --dry-run       # show the plan only",
        "  ami prune --min-age 7d --output json   # for scripts",
        ""})
final class PruneCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Option(names = "--project", paramLabel = "P", description = "Only this project (default: every project).")
  String project;

  @Option(names = "--keep", paramLabel = "N",
      description = "Keep the newest N images per project and region (default: each project's keep, else 3).")
  Integer keep;

  @Option(names = "--min-age", paramLabel = "DURATION", defaultValue = "0",
      description = "Never delete an image younger than this, e.g. 7d, 12h (default: ${DEFAULT-VALUE}).")
  String minAge;

  @Option(names = "--dry-run", description = "Print the plan; delete nothing.")
  boolean dryRun;

  @Option(names = "--parallelism", paramLabel = "N", defaultValue = "8",
      description = "Deletes in flight at once; throttling slows them down, never fails them"
          + " (default: ${DEFAULT-VALUE}).")
  int parallelism;

  @Option(names = "--history", paramLabel = "FILE", defaultValue = "${env:AMI_HOME:-.}/ami-history.md",
      description = "History file whose rows are marked pruned (default: ${DEFAULT-VALUE}).")
  Path history;

  @Option(names = "--exact-size",
      description = "Report the storage freed from each snapshot's allocated blocks (EBS direct API, one"
          + " more call per snapshot) instead of its volume size.")
  boolean exactSize;

  @Mixin GlobalOptions global;

  @Override
  public Integer call() {
    if (keep != null && keep < 1) {
      throw new AmiException.BadInput("--keep must be at least 1, was " + keep);
    }
    if (parallelism < 1 || parallelism > Pruner.Options.MAX_PARALLELISM) {
      throw new AmiException.BadInput(
          "--parallelism must be between 1 and " + Pruner.Options.MAX_PARALLELISM + ", was " + parallelism);
    }
    Duration age = Durations.parse(minAge, "--min-age");
    List<Project> projects = project == null ? global.projects().loadAll() : List.of(global.projects().load(project));
    Pruner.Options options = new Pruner.Options(keep, age, dryRun, parallelism, history, exactSize);
    try (AwsClients aws = global.aws()) {
      Pruner pruner = new Pruner(aws, global.ssmPrefix(), Clock.systemUTC(), Printer.progress(spec)::println);
      return Printer.print(spec, global, pruner.prune(projects, options));
    }
  }
}
