package dev.amipipeline.cli;

import dev.amipipeline.aws.AwsClients;
import dev.amipipeline.bake.PackerRunner;
import dev.amipipeline.common.AmiException;
import dev.amipipeline.common.Report;
import dev.amipipeline.project.Project;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import software.amazon.awssdk.services.sts.model.GetCallerIdentityResponse;

/** {@code ami doctor}: who am I, where, and are the project files valid. */
@Command(name = "doctor",
    header = "Check region, credentials (the AWS account) and the project files.",
    mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Resolves the region and credentials as every command does, asks STS who they are,",
        "validates every project file and shows the Packer that ami bake would run.",
        "Exit 0 when all is well.", ""})
final class DoctorCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Mixin GlobalOptions global;

  /** What the checks found. */
  record Checkup(String account, String arn, String region, String endpoint, List<String> projects, String packer)
      implements Report {
    @Override
    public String toText() {
      return String.join("\n",
          "account   " + account,
          "identity  " + arn,
          "region    " + region,
          "endpoint  " + endpoint,
          "projects  " + (projects.isEmpty() ? "(none)" : String.join(", ", projects)),
          "packer    " + packer);
    }
  }

  @Option(names = "--packer", paramLabel = "PATH", defaultValue = "${env:AMI_PACKER:-packer}",
      description = "The packer binary ami bake would use (default: $AMI_PACKER, then packer on PATH).")
  String packer;

  /** Only ami bake needs Packer, so a missing one is reported here, not a failure. */
  private String packerVersion() {
    try {
      return new PackerRunner(packer, Map.of(), Printer.progress(spec)).version() + " (" + packer + ")";
    } catch (AmiException e) {
      return e.getMessage();
    }
  }

  @Override
  public Integer call() {
    List<String> projects = global.projects().loadAll().stream().map(Project::name).toList();
    try (AwsClients aws = global.aws()) {
      GetCallerIdentityResponse me = aws.sts().getCallerIdentity();
      return Printer.print(spec, global, new Checkup(me.account(), me.arn(), aws.region().id(),
          aws.endpoint().map(Object::toString).orElse("AWS (default)"), projects, packerVersion()));
    }
  }
}
