package dev.amipipeline.local;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/** The bash scripts of local mode, shipped inside the jar beside these classes and run from a copy. */
enum Scripts {
  /** Boots a machine and halts it when its caller says so or is gone: see the script. */
  MACHINE("machine.sh"),
  /** Builds the base root filesystem and the package repositories: see the script. */
  ROOT_CACHE("root-cache.sh");

  private final String resource;

  Scripts(String resource) {
    this.resource = resource;
  }

  String text() {
    try (InputStream in = Scripts.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException(resource + " is missing from the jar");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Writes the script to {@code file} (executable) and returns the file. */
  Path writeTo(Path file) {
    try {
      Files.createDirectories(file.getParent());
      Files.writeString(file, text(), StandardCharsets.UTF_8);
      Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
