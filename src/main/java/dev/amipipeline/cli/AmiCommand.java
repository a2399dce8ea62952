package dev.amipipeline.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** The top-level {@code ami} command: only help, version and the subcommands. */
@Command(
    name = "ami",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    sortOptions = false,
    header = "Bake EC2 images that run your job at first boot; launch with one line.",
    description = {
        "",
        "  ami bake   --project ml         bake an AMI with Packer, record it in SSM",
        "  ami launch --project ml --spot  start it; user-data is just AMI_PROJECT=ml",
        "  ami prune  --keep 3             remove old AMIs + snapshots, never one in use",
        "  ami list                        show images and why each is kept",
        "  ami doctor                      check region, credentials and project files",
        "  ami completion                  print a bash/zsh completion script",
        "  ami history-merge --into FILE --from P=COPY",
        "                                  take each project's rows from its copy (CI)",
        ""},
    footerHeading = "%nExit codes:%n",
    footer = {
        "    0  done (also: nothing to do)",
        "    1  the operation failed (AWS, Packer, the job)",
        "    2  bad input or usage; nothing was changed",
        "    3  another bake of the project holds the lock",
        "    4  a required tool is missing (e.g. packer)",
        "  130  interrupted (Ctrl-C); what was started was cleaned up",
        "  ami launch --follow exits with the job's own exit code."},
    subcommands = {
        BakeCommand.class,
        LaunchCommand.class,
        PruneCommand.class,
        ListCommand.class,
        DoctorCommand.class,
        HistoryMergeCommand.class,
        CompletionCommand.class})
public final class AmiCommand implements Runnable {

  @Spec CommandSpec spec;

  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(), "a command is required: bake, launch, prune or list");
  }
}
