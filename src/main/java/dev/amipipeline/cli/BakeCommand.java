package dev.amipipeline.cli;

import dev.amipipeline.common.AmiException;
import dev.amipipeline.common.Durations;
import dev.amipipeline.project.Project;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code ami bake}: run Packer, record the AMI in SSM, tags and ami-history.md. */
@Command(name = "bake",
    header = "Bake an AMI with Packer and record it (SSM, tags, ami-history.md).",
    mixinStandardHelpOptions = true, sortOptions = false,
    description = {
        "Packer installs git, the JDK, the GPU driver and the first-boot unit at bake",
        "time. The AMI and snapshot ids are recorded in SSM (<prefix>/<project>/ami-id,",
        "snapshot-ids, run), tagged, and appended to ami-history.md.",
        "",
        "Examples:",
        "  ami bake --project ml",
        "  ami bake --all --if-changed        # what the nightly job runs",
        "  ami bake --project ml --dry-run    # show the Packer command and inputs hash",
        ""})
final class BakeCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  static final class Target {
    @Option(names = "--project", paramLabel = "P", required = true,
        description = "The project to bake (packer/projects/P.json).")
    String project;

    @Option(names = "--all", required = true, description = "Bake every project, one after another.")
    boolean all;
  }

  @ArgGroup(exclusive = true, multiplicity = "1")
  Target target;

  static final class Freshness {
    @Option(names = "--if-changed",
        description = "Skip the bake when the current AMI was baked from the same inputs.")
    boolean ifChanged;

    @Option(names = "--force", description = "Bake even when nothing changed.")
    boolean force;
  }

  @ArgGroup(exclusive = true, multiplicity = "0..1")
  Freshness freshness = new Freshness();

  @Option(names = "--dry-run",
      description = "Print the Packer command (secrets masked) and the inputs hash; change nothing.")
  boolean dryRun;

  @Option(names = "--packer", paramLabel = "PATH", defaultValue = "${env:AMI_PACKER:-packer}",
      description = "The packer binary (default: $AMI_PACKER, then packer on PATH).")
  String packer;

  @Option(names = "--regions", paramLabel = "R1,R2", split = ",",
      description = "Regions to bake in (default: the project's regions, else --region). The first builds;"
          + " the others receive copies.")
  List<String> regions;

  @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "2h",
      description = "Stop Packer after this long (default: ${DEFAULT-VALUE}).")
  String timeout;

  @Option(names = "--history", paramLabel = "FILE", defaultValue = "ami-history.md",
      description = "The history file to append to (default: ${DEFAULT-VALUE}).")
  Path history;

  @Mixin GlobalOptions global;

  @Override
  public Integer call() {
    Duration packerTimeout = Durations.parse(timeout, "--timeout");
    if (packerTimeout.isZero()) {
      throw new AmiException.BadInput("--timeout must be more than 0");
    }
    List<Project> projects = target.all ? global.projects().loadAll() : List.of(global.projects().load(target.project));
    throw new AmiException.Failed("ami bake is not implemented yet (" + projects.size() + " project(s) valid)");
  }
}
