package dev.amipipeline.cli;

import picocli.AutoComplete;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** Prints a bash/zsh completion script. */
@Command(name = "completion",
    header = "Print a bash/zsh completion script.",
    description = {"Print a bash/zsh completion script for ami.",
        "Use: source <(scripts/ami completion)"})
final class CompletionCommand implements Runnable {

  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().getOut().print(AutoComplete.bash("ami", spec.root().commandLine()));
    spec.commandLine().getOut().flush();
  }
}
