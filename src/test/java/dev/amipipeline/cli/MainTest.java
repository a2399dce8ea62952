package dev.amipipeline.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.amipipeline.testing.Cli;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MainTest {

  @Test
  void helpListsTheFourCommandsAndExitCodes() {
    Cli.Result r = Cli.run("--help");
    assertThat(r.exitCode()).isZero();
    assertThat(r.out()).contains("  bake ", "  launch ", "  prune ", "  list ", "Exit codes:", "3  another bake of the project holds the lock");
  }

  @Test
  void helpNamesEveryCommandInItsOverview() {
    StringWriter sink = new StringWriter();
    Set<String> commands = Main.commandLine(new PrintWriter(sink), new PrintWriter(sink)).getSubcommands().keySet();

    Cli.Result r = Cli.run("--help");

    assertThat(commands).contains("bake", "launch", "prune", "list");
    // The command list picocli adds names commands without "ami "; only the overview has these.
    assertThat(commands).allSatisfy(name -> assertThat(r.out()).contains("  ami " + name + " "));
  }

  @Test
  void versionPrintsTheToolName() {
    Cli.Result r = Cli.run("--version");
    assertThat(r.exitCode()).isZero();
    assertThat(r.out()).startsWith("ami-pipeline ");
  }

  @Test
  void noCommandIsAUsageError() {
    Cli.Result r = Cli.run();
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.errLines()).singleElement().asString().contains("a command is required");
  }

  @Test
  void unknownProjectExitsTwoNamingTheFile() {
    Cli.Result r = Cli.run("bake", "--project", "nope", "--region", "us-east-1");
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.errLines()).singleElement().asString()
        .startsWith("ami: no project file packer/projects/nope.json");
  }

  @Test
  void unknownFieldExitsTwoNamingTheFieldPath(@TempDir Path dir) throws Exception {
    String demo = Files.readString(Path.of("packer/projects/demo.json"));
    Files.writeString(dir.resolve("demo.json"), demo.replace("\"spot\": false", "\"spot\": false, \"spotPrice\": 1"));
    Cli.Result r = Cli.run("bake", "--project", "demo", "--projects-dir", dir.toString());
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.errLines()).singleElement().asString()
        .contains(dir.resolve("demo.json") + ": launch.spotPrice: unknown field");
  }

  @Test
  void badUsageIsOneLineWithAHelpPointer() {
    Cli.Result both = Cli.run("bake", "--project", "demo", "--all");
    assertThat(both.exitCode()).isEqualTo(2);
    assertThat(both.errLines()).singleElement().asString().contains("mutually exclusive").contains("ami bake --help");

    Cli.Result conflicting = Cli.run("bake", "--project", "demo", "--force", "--if-changed");
    assertThat(conflicting.exitCode()).isEqualTo(2);

    Cli.Result badEnum = Cli.run("list", "--output", "yaml");
    assertThat(badEnum.exitCode()).isEqualTo(2);
    assertThat(badEnum.errLines()).singleElement().asString().contains("--output");
  }

  @Test
  void badNumbersAndDurationsAreExitTwo() {
    assertThat(Cli.run("prune", "--keep", "0").exitCode()).isEqualTo(2);
    assertThat(Cli.run("prune", "--keep", "-1").exitCode()).isEqualTo(2);
    Cli.Result banana = Cli.run("prune", "--min-age", "banana");
    assertThat(banana.exitCode()).isEqualTo(2);
    assertThat(banana.errLines()).singleElement().asString().contains("--min-age: 'banana' is not a duration");
  }

  @Test
  void badEndpointAndPrefixAreExitTwo() {
    Cli.Result endpoint = Cli.run("list", "--endpoint-url", "not a url");
    assertThat(endpoint.exitCode()).isEqualTo(2);
    assertThat(endpoint.errLines()).singleElement().asString().contains("--endpoint-url");
    Cli.Result prefix = Cli.run("list", "--ssm-prefix", "no-slash");
    assertThat(prefix.exitCode()).isEqualTo(2);
    assertThat(prefix.errLines()).singleElement().asString().contains("--ssm-prefix");
    Cli.Result region = Cli.run("list", "--region", "mars-north-1");
    assertThat(region.exitCode()).isEqualTo(2);
    assertThat(region.errLines()).singleElement().asString().contains("'mars-north-1' is not a known AWS region");
  }

  @Test
  void completionScriptCoversTheCommands() {
    Cli.Result r = Cli.run("completion");
    assertThat(r.exitCode()).isZero();
    assertThat(r.out()).contains("complete -F", "bake", "launch", "prune", "--if-changed");
  }
}
