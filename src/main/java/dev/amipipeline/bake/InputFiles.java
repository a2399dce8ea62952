package dev.amipipeline.bake;

import dev.amipipeline.common.AmiException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Reads the files a bake's inputs hash covers, keyed by a location-independent name:
 * {@code packer/<path>} for every *.hcl under the template's folder and everything under its
 * provisioners/ (the other projects' files in packer/projects/ are not inputs of this one),
 * {@code project/<name>.json} for the project's own file, {@code launcher/<path>} for what ships into
 * the image. A missing launcher/ or provisioners/ folder simply contributes nothing.
 */
public final class InputFiles {

  private InputFiles() {}

  public static SortedMap<String, byte[]> collect(Path templateFile, Path projectFile, Path launcherDir) {
    Path templateDir = templateFile.toAbsolutePath().getParent();
    SortedMap<String, byte[]> files = new TreeMap<>();
    try (Stream<Path> all = walk(templateDir)) {
      all.filter(p -> {
        Path rel = templateDir.relativize(p);
        return rel.startsWith("provisioners") || (p.getFileName().toString().endsWith(".hcl") && !rel.startsWith("projects"));
      }).forEach(p -> files.put("packer/" + slashes(templateDir.relativize(p)), read(p)));
    }
    files.put("project/" + projectFile.getFileName(), read(projectFile));
    Path launcher = launcherDir.toAbsolutePath();
    try (Stream<Path> all = walk(launcher)) {
      all.forEach(p -> files.put("launcher/" + slashes(launcher.relativize(p)), read(p)));
    }
    return files;
  }

  private static Stream<Path> walk(Path dir) {
    if (!Files.isDirectory(dir)) {
      return Stream.empty();
    }
    try {
      return Files.walk(dir).filter(Files::isRegularFile);
    } catch (IOException e) {
      throw new AmiException.Failed("cannot list " + dir + ": " + e.getMessage(), e);
    }
  }

  private static byte[] read(Path file) {
    try {
      return Files.readAllBytes(file);
    } catch (IOException e) {
      throw new AmiException.Failed("cannot read " + file + " for the inputs hash: " + e.getMessage(), e);
    }
  }

  private static String slashes(Path rel) {
    return rel.toString().replace('\\', '/');
  }
}
