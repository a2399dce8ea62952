package dev.amipipeline.bake;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.SortedMap;

/**
 * The {@code ami-pipeline:inputs} tag: sha256 over everything that decides what goes into the image
 * (the template and provisioners, the project file, launcher/, and the resolved base image id).
 * Pure: the files come in as relative path to bytes.
 */
public final class InputsHash {

  /** How many hex digits ami-history.md shows. */
  public static final int SHORT = 12;

  private InputsHash() {}

  /**
   * Each file contributes its path and its length before its bytes, so moving bytes from one file to
   * the next, or renaming a file, changes the hash.
   */
  public static String of(SortedMap<String, byte[]> files, String sourceAmiId) {
    MessageDigest sha = sha256();
    for (Map.Entry<String, byte[]> file : files.entrySet()) {
      field(sha, "file");
      field(sha, file.getKey());
      field(sha, Integer.toString(file.getValue().length));
      sha.update(file.getValue());
    }
    field(sha, "source-ami");
    field(sha, sourceAmiId);
    return HexFormat.of().formatHex(sha.digest());
  }

  public static String shortForm(String hash) {
    return hash.length() <= SHORT ? hash : hash.substring(0, SHORT);
  }

  private static void field(MessageDigest sha, String value) {
    sha.update(value.getBytes(StandardCharsets.UTF_8));
    sha.update((byte) 0);
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }
}
