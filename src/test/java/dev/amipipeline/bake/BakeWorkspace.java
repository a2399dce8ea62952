package dev.amipipeline.bake;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.amipipeline.common.Json;
import dev.amipipeline.testing.Shell;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A copy of the repository's packer/ layout in a temporary folder, so a test can edit a provisioner,
 * add a project or extend the template without touching the repository. The template is the real
 * one; provisioner scripts and launcher files are stand-ins with the agreed names (their content is
 * not the bake's business, and in local mode none of them runs).
 */
final class BakeWorkspace {

  /** The provisioner scripts the template runs, in order (the agreed interface). */
  static final List<String> PROVISIONERS = List.of("10-git.sh", "20-jdk.sh", "30-nvidia.sh", "40-awscli.sh",
      "45-packages.sh", "50-launcher.sh", "80-cleanup.sh", "90-validate.sh");

  private static final String POST_PROCESSOR = "  post-processor \"manifest\" {";

  private final Path root;

  private BakeWorkspace(Path root) {
    this.root = root;
  }

  static BakeWorkspace create(Path root) {
    try {
      Path packer = Files.createDirectories(root.resolve("packer"));
      Files.copy(Shell.REPO.resolve("packer/ami.pkr.hcl"), packer.resolve("ami.pkr.hcl"));
      Files.createDirectories(packer.resolve("plugins"));
      Files.copy(Shell.REPO.resolve("packer/plugins/required-plugins.pkr.hcl"),
          packer.resolve("plugins/required-plugins.pkr.hcl"));
      Files.createDirectories(packer.resolve("projects"));
      Files.copy(Shell.REPO.resolve("packer/projects/demo.json"), packer.resolve("projects/demo.json"));
      Files.createDirectories(packer.resolve("provisioners"));
      for (String script : PROVISIONERS) {
        Files.writeString(packer.resolve("provisioners").resolve(script),
            "#!/usr/bin/env bash\nset -euo pipefail\necho " + script + "\n");
      }
      Files.writeString(packer.resolve("provisioners/lib.sh"), "# shellcheck shell=bash\n");
      Path launcher = Files.createDirectories(root.resolve("launcher"));
      Files.writeString(launcher.resolve("first-boot"), "#!/usr/bin/env bash\n");
      Files.writeString(launcher.resolve("ami-first-boot.service"), "[Unit]\n");
      return new BakeWorkspace(root);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Adds an HCL block to the template's build, before the manifest post-processor. */
  BakeWorkspace withBuildBlock(String hcl) {
    try {
      String text = Files.readString(template());
      if (!text.contains(POST_PROCESSOR)) {
        throw new IllegalStateException("the template has no manifest post-processor to insert before");
      }
      Files.writeString(template(), text.replace(POST_PROCESSOR, hcl.stripTrailing() + "\n\n" + POST_PROCESSOR));
      return this;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Writes project {@code name}: demo's file with {@code edit} applied. */
  BakeWorkspace project(String name, java.util.function.Consumer<ObjectNode> edit) {
    try {
      ObjectNode json = (ObjectNode) Json.STRICT.readTree(Shell.REPO.resolve("packer/projects/demo.json").toFile());
      edit.accept(json);
      Files.writeString(projects().resolve(name + ".json"), Json.writePretty(json));
      return this;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  Path root() {
    return root;
  }

  Path template() {
    return root.resolve("packer/ami.pkr.hcl");
  }

  Path projects() {
    return root.resolve("packer/projects");
  }

  Path provisioner(String name) {
    return root.resolve("packer/provisioners").resolve(name);
  }

  Path history() {
    return root.resolve("ami-history.md");
  }

  /** {@code bake} plus what points it at this workspace, then {@code more}. */
  /** Where the workspace's bakes write their Packer logs. */
  Path logs() {
    return root.resolve("logs");
  }

  /** The one log a bake wrote. */
  Path onlyLog() {
    try (java.util.stream.Stream<Path> files = Files.list(logs())) {
      List<Path> all = files.toList();
      if (all.size() != 1) {
        throw new IllegalStateException("expected one log in " + logs() + ", found " + all);
      }
      return all.get(0);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  String[] bake(String... more) {
    List<String> args = new ArrayList<>(List.of("bake", "--template", template().toString(), "--projects-dir",
        projects().toString(), "--history", history().toString(), "--log-dir", logs().toString()));
    args.addAll(List.of(more));
    return args.toArray(String[]::new);
  }
}
