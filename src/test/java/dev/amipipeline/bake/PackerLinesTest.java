package dev.amipipeline.bake;

import static org.assertj.core.api.Assertions.assertThat;

import dev.amipipeline.bake.PackerLines.Kind;
import dev.amipipeline.bake.PackerLines.Line;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The recordings are Packer 1.6.6's raw machine-readable output of two real bakes of the demo
 * project with {@code --local-root} (a warm package cache): one that succeeded, and one whose JDK
 * provisioner failed (JDK 99 is not packaged).
 */
class PackerLinesTest {

  private static List<String> recording(String name) throws IOException {
    try (InputStream in = PackerLinesTest.class.getResourceAsStream(name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
    }
  }

  private static List<Line> read(List<String> raw) {
    List<Line> lines = new ArrayList<>();
    raw.forEach(r -> lines.addAll(PackerLines.read(r)));
    return lines;
  }

  private static List<String> steps(List<Line> lines) {
    PackerLines.Steps steps = new PackerLines.Steps();
    return lines.stream().map(steps::show).flatMap(Optional::stream).toList();
  }

  @Test
  void theStepsOfAWarmBakeAreItsStepsProvisionerLinesAndArtifactWithoutThePackageManagers() throws IOException {
    List<Line> lines = read(recording("packer-warm-bake.txt"));

    List<String> shown = steps(lines);

    assertThat(lines).hasSizeGreaterThan(550);
    assertThat(shown).hasSizeLessThanOrEqualTo(65)
        .noneMatch(l -> l.contains("Selecting previously unselected") || l.contains("Preparing to unpack")
            || l.contains("Setting up") || l.contains("Adding debian:") || l.contains("update-alternatives")
            || l.contains("debconf") || l.contains("Adding tag:") || l.isBlank())
        .noneMatch(l -> l.chars().anyMatch(c -> c < 0x20 && c != '\t'));
    // every step Packer announced, but the summary that repeats "Build ... finished"
    List<String> packerSteps = lines.stream().filter(l -> l.kind() == Kind.STEP && l.text().startsWith("==> "))
        .map(Line::text).filter(t -> !t.startsWith("==> Wait completed")).toList();
    assertThat(packerSteps).hasSizeGreaterThan(35);
    assertThat(shown).containsSubsequence(packerSteps);
    // the provisioners' own lines, in order, without the timestamp the prefix makes redundant
    assertThat(shown.stream().filter(l -> l.matches("^    amazon-ebs\\.image: \\d\\d-[a-z]+: .*")).toList())
        .hasSize(19)
        .startsWith("    amazon-ebs.image: 10-git: installing git",
            "    amazon-ebs.image: 10-git: installed git version 2.39.5",
            "    amazon-ebs.image: 20-jdk: installing openjdk-17-jdk-headless")
        .endsWith("    amazon-ebs.image: 90-validate: the image is ready: ami-first-boot.service enabled,"
            + " builder state cleaned up");
    // the end: how long, and the artifact once (Packer 1.6.6 lists it twice)
    assertThat(shown).endsWith("Build 'amazon-ebs.image' finished after 1 minute 41 seconds.",
        "==> Builds finished. The artifacts of successful builds are:",
        "--> amazon-ebs.image: AMIs were created:",
        "us-east-1: ami-7e5e4ca4c8d186e76");
  }

  @Test
  void theStepsOfAFailedBakeShowTheProvisionersErrorAndPackersButNotTheScriptsStderr() throws IOException {
    List<Line> lines = read(recording("packer-failed-bake.txt"));

    List<String> shown = steps(lines);

    assertThat(shown).containsSubsequence(
        "==> amazon-ebs.image: Provisioning with shell script: /home/me/ami-pipeline/packer/provisioners/20-jdk.sh",
        "    amazon-ebs.image: 20-jdk: installing openjdk-99-jdk-headless",
        "    amazon-ebs.image: 20-jdk: error: installing openjdk-99-jdk-headless failed: is JDK 99 packaged for"
            + " Debian GNU/Linux 12 (bookworm)?",
        "==> amazon-ebs.image: Provisioning step had errors: Running the cleanup provisioner, if present...",
        "==> amazon-ebs.image: Terminating the source AWS instance...",
        "Build 'amazon-ebs.image' errored after 15 seconds 444 milliseconds: Script exited with non-zero exit"
            + " status: 1.Allowed exit codes are: [0]",
        "==> Some builds didn't complete successfully and had errors:",
        "==> Builds finished but no artifacts were created.");
    // apt's own complaint is the script's stderr: in the full log (and the failure's tail), not the steps
    assertThat(shown).noneMatch(l -> l.contains("Unable to locate package"));
    assertThat(lines).contains(new Line(Kind.ERROR, "==> amazon-ebs.image: E: Unable to locate package openjdk-99-jdk-headless"));
    assertThat(PackerOutput.errorLine(lines.stream().map(Line::text).toList()))
        .contains("Script exited with non-zero exit status: 1.Allowed exit codes are: [0]");
  }

  @Test
  void uiRecordsBecomeTheTextAPersonWouldHaveSeen() {
    assertThat(PackerLines.read("1796175216,,ui,say,==> amazon-ebs.image: Force Deregister flag found%!(PACKER_COMMA) skipping"))
        .containsExactly(new Line(Kind.STEP, "==> amazon-ebs.image: Force Deregister flag found, skipping"));
    assertThat(PackerLines.read("1796175317,,ui,say,--> amazon-ebs.image: AMIs were created:\\nus-east-1: ami-7e5e\\n"))
        .containsExactly(new Line(Kind.STEP, "--> amazon-ebs.image: AMIs were created:"),
            new Line(Kind.STEP, "us-east-1: ami-7e5e"), new Line(Kind.STEP, ""));
    assertThat(PackerLines.read("1796175317,,ui,say,\\n==> Wait completed after 1 minute"))
        .containsExactly(new Line(Kind.STEP, ""), new Line(Kind.STEP, "==> Wait completed after 1 minute"));
    assertThat(PackerLines.read("1796174462,,ui,error,==> null.x: to-stderr"))
        .containsExactly(new Line(Kind.ERROR, "==> null.x: to-stderr"));
    assertThat(PackerLines.read("1796174462,,ui,message,    null.x: to-stdout"))
        .containsExactly(new Line(Kind.MESSAGE, "    null.x: to-stdout"));
    assertThat(PackerLines.read("1796174462,,ui,message,")).containsExactly(new Line(Kind.MESSAGE, ""));
  }

  @Test
  void otherRecordsRepeatAUiRecordAndAreDroppedWhileOtherTextIsKept() {
    assertThat(PackerLines.read("1796175317,amazon-ebs.image,artifact,0,id,us-east-1:ami-7e5e4ca4c8d186e76")).isEmpty();
    assertThat(PackerLines.read("1796174462,,error-count,1")).isEmpty();
    assertThat(PackerLines.read("==> null.x: from a Packer without -machine-readable"))
        .containsExactly(new Line(Kind.PLAIN, "==> null.x: from a Packer without -machine-readable"));
    assertThat(PackerLines.read("")).containsExactly(new Line(Kind.PLAIN, ""));
  }

  @Test
  void escapeSequencesAndControlCharactersNeverReachTheOutput() {
    assertThat(PackerLines.printable("\u001b[1;32m==> null.x: green\u001b[0m\r")).isEqualTo("==> null.x: green");
    assertThat(PackerLines.printable("tab\tkept, bell\u0007 dropped")).isEqualTo("tab\tkept, bell dropped");
    assertThat(new PackerLines.Steps().show(new Line(Kind.PLAIN, "\u001b[31mred\u001b[0m"))).contains("red");
  }
}
