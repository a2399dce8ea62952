package dev.amipipeline.local;

import dev.amipipeline.project.ProjectSpec;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.TreeSet;

/**
 * What a local bake starts from, as plain values: a minimal Debian root with systemd and sshd (the
 * stand-in for the project's base image) and the packages the provisioners will install into it,
 * served offline from a local APT repository. Names of the cached pieces are hashes of what they
 * are made of, so a change of recipe builds new ones and never reuses stale ones.
 *
 * @param suite the Debian release
 * @param include what debootstrap adds to minbase: systemd to boot, sshd for Packer, sudo for its
 *     execute_command, nss-myhostname so the machine's own name resolves (sudo asks)
 * @param packages what the provisioners of this project ask APT for on Debian
 */
public record RootRecipe(String suite, List<String> include, List<String> packages) {

  public static final String SUITE = "bookworm";
  /** Where bake containers see the package repository (read-only) and where their APT looks. */
  public static final String REPO_PATH = "/var/lib/ami-pipeline-local-repo";
  static final List<String> INCLUDE = List.of("ca-certificates", "curl", "libnss-myhostname", "openssh-server",
      "sudo", "systemd", "systemd-sysv");
  private static final int KEY_LENGTH = 16;

  public RootRecipe {
    include = List.copyOf(include);
    packages = List.copyOf(packages);
    if (packages.isEmpty()) {
      throw new IllegalArgumentException("a package repository needs at least one package");
    }
  }

  /**
   * The packages the provisioners install for {@code bake} on Debian: git (10-git), the JDK
   * (20-jdk), the AWS CLI (40-awscli), the extra packages (45-packages), curl and jq (50-launcher).
   * The NVIDIA driver is not among them: a container has no kernel to build it for (30-nvidia skips).
   */
  public static RootRecipe forBake(ProjectSpec.Bake bake) {
    TreeSet<String> wanted = new TreeSet<>(List.of("awscli", "curl", "jq"));
    if (bake.git()) {
      wanted.add("git");
    }
    if (bake.jdk() > 0) {
      wanted.add("openjdk-" + bake.jdk() + "-jdk-headless");
    }
    wanted.addAll(bake.packages());
    return new RootRecipe(SUITE, INCLUDE, List.copyOf(wanted));
  }

  /** What the base root is made of; {@code recipeDigest} stands for how (the build script). */
  public String baseKey(String recipeDigest) {
    return key(suite, String.join(",", include), recipeDigest);
  }

  /** The base root's file name. */
  public String baseName(String recipeDigest) {
    return "debian-" + suite + "-" + baseKey(recipeDigest) + ".tar.zst";
  }

  /** The package repository's folder name: its base root's key, then its packages'. */
  public String packagesName(String recipeDigest) {
    return packagesPrefix(recipeDigest) + key(String.join(" ", packages));
  }

  /** What the names of every package repository on the base root of {@code recipeDigest} start with. */
  public String packagesPrefix(String recipeDigest) {
    return "packages-" + baseKey(recipeDigest) + "-";
  }

  static String key(String... parts) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      for (String part : parts) {
        sha.update(part.getBytes(StandardCharsets.UTF_8));
        sha.update((byte) 0);
      }
      return HexFormat.of().formatHex(sha.digest()).substring(0, KEY_LENGTH);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }
}
