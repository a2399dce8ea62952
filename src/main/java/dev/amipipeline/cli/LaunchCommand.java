package dev.amipipeline.cli;

import dev.amipipeline.common.AmiException;
import dev.amipipeline.project.Project;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code ami launch}: start instances from the project's recorded AMI with one line of user-data. */
@Command(name = "launch",
    header = "Start instances of a project; user-data is just AMI_PROJECT=<project>.",
    mixinStandardHelpOptions = true, sortOptions = false,
    description = {
        "Starts instances from the project's current AMI (SSM <prefix>/<project>/ami-id).",
        "The user-data is exactly AMI_PROJECT=<project>; the image's first-boot unit",
        "reads the run configuration from SSM, runs the job, ships the log to S3 and",
        "terminates the instance.",
        "",
        "Examples:",
        "  ami launch --project ml --spot --wait",
        "  ami launch --project ml --count 4 --spot   # EC2 Fleet, many types",
        "  ami launch --project ml --ami-version 3     # roll back to the 3rd bake",
        "  ami launch --cpu 8 --memory 61035 --list   # cheapest fitting types only",
        ""})
final class LaunchCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Option(names = "--project", paramLabel = "P", description = "The project to launch.")
  String project;

  @Option(names = "--spot", negatable = true,
      description = "Use one-time spot capacity (default: the project's launch.spot).")
  Boolean spot;

  static final class TypeChoice {
    @Option(names = "--instance-type", paramLabel = "T", description = "Instance type (default: the project's).")
    String instanceType;

    @ArgGroup(exclusive = false)
    Size size;
  }

  static final class Size {
    @Option(names = "--cpu", paramLabel = "N", required = true, description = "Pick the cheapest type with N vCPUs or more.")
    int cpu;

    @Option(names = "--memory", paramLabel = "MIB", required = true, description = "…and at least MIB memory.")
    long memoryMib;
  }

  @ArgGroup(exclusive = true, multiplicity = "0..1")
  TypeChoice type;

  @Option(names = "--count", paramLabel = "N", defaultValue = "1",
      description = "How many instances (more than 1 uses EC2 Fleet; default: ${DEFAULT-VALUE}).")
  int count;

  @Option(names = "--ami-version", paramLabel = "N",
      description = "Launch version N of the ami-id parameter (rollback) instead of the latest.")
  Long amiVersion;

  @Option(names = "--wait", description = "Wait until running and print the addresses.")
  boolean waitRunning;

  @Option(names = "--follow", description = "Stream the job's log from S3 until it ends; exit with its code.")
  boolean follow;

  @Option(names = "--dry-run", description = "Print the request and check permissions; launch nothing.")
  boolean dryRun;

  @Mixin GlobalOptions global;

  @Override
  public Integer call() {
    if (count < 1) {
      throw new AmiException.BadInput("--count must be at least 1, was " + count);
    }
    if (project == null) {
      throw new AmiException.BadInput("--project is required to launch");
    }
    Project p = global.projects().load(project);
    throw new AmiException.Failed("ami launch is not implemented yet (project " + p.name() + " is valid)");
  }
}
