package dev.amipipeline.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import dev.amipipeline.project.Project;
import dev.amipipeline.testing.Shell;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The instance checks the user-data's project name with its own copy of the CLI's rule
 * (launcher/lib/config.sh, PROJECT_PATTERN): the two must not drift apart, or `ami launch` could
 * start instances whose first-boot refuses their project, or the other way round.
 */
class ProjectPatternTest {

  private static final Path CONFIG = Shell.REPO.resolve("launcher/lib/config.sh");
  private static final Pattern DEFINITION = Pattern.compile("(?m)^PROJECT_PATTERN='([^']*)'$");
  private static final List<String> NAMES = List.of("demo", "ml-2", "0", "9-lives", "a".repeat(39), "a".repeat(40),
      "-demo", "Demo", "my_project", "../x", "demo/x", "demo ", "dé", "");

  @Test
  void theLauncherHasOneDefinitionTheSameAsTheCli() throws IOException {
    Matcher definition = DEFINITION.matcher(Files.readString(CONFIG));
    assertThat(definition.find()).as("a PROJECT_PATTERN='…' line in " + CONFIG).isTrue();
    String launcher = definition.group(1);
    assertThat(definition.find()).as("one definition in " + CONFIG).isFalse();

    assertThat(launcher).isEqualTo(Project.NAME.pattern());
  }

  @Test
  void bashAndJavaAcceptTheSameNames() {
    String script = """
        source "$1"
        for name in "${@:2}"; do
          if [[ "$name" =~ $PROJECT_PATTERN ]]; then echo "yes $name"; else echo "no $name"; fi
        done
        """;
    List<String> command = new ArrayList<>(List.of("bash", "-c", script, "check", CONFIG.toString()));
    command.addAll(NAMES);
    Shell.Result bash = Shell.run(command, Map.of("LC_ALL", "C.UTF-8"), Duration.ofSeconds(30));

    String java = NAMES.stream().map(n -> (Project.NAME.matcher(n).matches() ? "yes " : "no ") + n)
        .collect(Collectors.joining("\n", "", "\n"));
    assertThat(bash.exitCode()).as(bash.err()).isZero();
    assertThat(bash.out()).isEqualTo(java).contains("yes demo\n", "no ../x\n");
  }
}
