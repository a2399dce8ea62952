package dev.amipipeline.bake;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SortedMap;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InputsHashTest {

  private static SortedMap<String, byte[]> files(String... pathsAndContents) {
    SortedMap<String, byte[]> files = new TreeMap<>();
    for (int i = 0; i < pathsAndContents.length; i += 2) {
      files.put(pathsAndContents[i], pathsAndContents[i + 1].getBytes(StandardCharsets.UTF_8));
    }
    return files;
  }

  private static final SortedMap<String, byte[]> BASE = files(
      "packer/ami.pkr.hcl", "source {}", "packer/provisioners/10-git.sh", "apt-get install git", "project/demo.json", "{}");

  @Test
  void isASha256HexDigestAndDeterministic() {
    String hash = InputsHash.of(BASE, "ami-1");
    assertThat(hash).matches("[0-9a-f]{64}").isEqualTo(InputsHash.of(new TreeMap<>(BASE), "ami-1"));
    assertThat(InputsHash.shortForm(hash)).hasSize(12).isEqualTo(hash.substring(0, 12));
  }

  @Test
  void changesWithAnyContentAPathOrTheBaseImage() {
    String base = InputsHash.of(BASE, "ami-1");
    SortedMap<String, byte[]> edited = new TreeMap<>(BASE);
    edited.put("packer/provisioners/10-git.sh", "apt-get install -y git".getBytes(StandardCharsets.UTF_8));
    SortedMap<String, byte[]> renamed = new TreeMap<>(BASE);
    renamed.put("packer/provisioners/11-git.sh", renamed.remove("packer/provisioners/10-git.sh"));
    SortedMap<String, byte[]> added = new TreeMap<>(BASE);
    added.put("launcher/first-boot", new byte[0]);

    assertThat(InputsHash.of(edited, "ami-1")).isNotEqualTo(base);
    assertThat(InputsHash.of(renamed, "ami-1")).isNotEqualTo(base);
    assertThat(InputsHash.of(added, "ami-1")).isNotEqualTo(base);
    assertThat(InputsHash.of(BASE, "ami-2")).isNotEqualTo(base);
  }

  @Test
  void bytesMovedAcrossAFileBoundaryChangeTheHash() {
    assertThat(InputsHash.of(files("a", "xy", "b", "z"), "ami-1"))
        .isNotEqualTo(InputsHash.of(files("a", "x", "b", "yz"), "ami-1"));
  }

  @Test
  void coversTemplateProvisionersOwnProjectAndLauncherButNotOtherProjects(@TempDir Path repo) throws Exception {
    write(repo.resolve("packer/ami.pkr.hcl"), "build {}");
    write(repo.resolve("packer/plugins/required-plugins.pkr.hcl"), "packer {}");
    write(repo.resolve("packer/README.md"), "notes");
    write(repo.resolve("packer/provisioners/10-git.sh"), "git");
    write(repo.resolve("packer/provisioners/lib/common.sh"), "lib");
    write(repo.resolve("packer/projects/demo.json"), "{\"demo\": 1}");
    write(repo.resolve("packer/projects/ml.json"), "{\"ml\": 1}");
    write(repo.resolve("launcher/first-boot"), "#!/bin/sh");
    write(repo.resolve("launcher/ami-first-boot.service"), "[Unit]");

    SortedMap<String, byte[]> files = InputFiles.collect(repo.resolve("packer/ami.pkr.hcl"),
        repo.resolve("packer/projects/demo.json"), repo.resolve("launcher"));

    assertThat(files).containsOnlyKeys("packer/ami.pkr.hcl", "packer/plugins/required-plugins.pkr.hcl",
        "packer/provisioners/10-git.sh", "packer/provisioners/lib/common.sh", "project/demo.json",
        "launcher/first-boot", "launcher/ami-first-boot.service");
    assertThat(new String(files.get("project/demo.json"), StandardCharsets.UTF_8)).isEqualTo("{\"demo\": 1}");

    // editing another project's file does not change this project's inputs; editing its own does
    String before = InputsHash.of(files, "ami-1");
    write(repo.resolve("packer/projects/ml.json"), "{\"ml\": 2}");
    assertThat(InputsHash.of(InputFiles.collect(repo.resolve("packer/ami.pkr.hcl"),
        repo.resolve("packer/projects/demo.json"), repo.resolve("launcher")), "ami-1")).isEqualTo(before);
    write(repo.resolve("packer/projects/demo.json"), "{\"demo\": 2}");
    assertThat(InputsHash.of(InputFiles.collect(repo.resolve("packer/ami.pkr.hcl"),
        repo.resolve("packer/projects/demo.json"), repo.resolve("launcher")), "ami-1")).isNotEqualTo(before);
  }

  @Test
  void theSameTreeElsewhereHashesTheSame(@TempDir Path a, @TempDir Path b) throws Exception {
    for (Path repo : new Path[] {a, b}) {
      write(repo.resolve("packer/ami.pkr.hcl"), "build {}");
      write(repo.resolve("packer/projects/demo.json"), "{}");
    }
    assertThat(InputsHash.of(InputFiles.collect(a.resolve("packer/ami.pkr.hcl"), a.resolve("packer/projects/demo.json"),
        a.resolve("launcher")), "ami-1"))
        .isEqualTo(InputsHash.of(InputFiles.collect(b.resolve("packer/ami.pkr.hcl"),
            b.resolve("packer/projects/demo.json"), b.resolve("launcher")), "ami-1"));
  }

  private static void write(Path file, String text) throws Exception {
    Files.createDirectories(file.getParent());
    Files.writeString(file, text);
  }
}
