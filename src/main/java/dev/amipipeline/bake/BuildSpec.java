package dev.amipipeline.bake;

import dev.amipipeline.project.ProjectSpec;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One Packer build as plain values: everything the template's variables are made from.
 *
 * @param ec2Endpoint null for AWS itself
 * @param ssh null to let Packer reach the builder at its own address
 */
public record BuildSpec(
    String project,
    String ssmPrefix,
    String region,
    List<String> copyRegions,
    SourceImage source,
    ProjectSpec.Bake bake,
    URI ec2Endpoint,
    SshTarget ssh,
    String amiName,
    String amiDescription,
    Map<String, String> amiTags,
    Map<String, String> runTags,
    Path manifest,
    Path provisionersDir,
    Path launcherDir) {

  public BuildSpec {
    Objects.requireNonNull(project, "project");
    Objects.requireNonNull(region, "region");
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(bake, "bake");
    Objects.requireNonNull(amiName, "amiName");
    copyRegions = List.copyOf(copyRegions);
    if (copyRegions.contains(region)) {
      throw new IllegalArgumentException("the build region " + region + " is also a copy region");
    }
    amiTags = Map.copyOf(amiTags);
    runTags = Map.copyOf(runTags);
  }

  /**
   * Local mode: an emulator endpoint and nowhere to SSH to. An emulated instance never boots, so
   * Packer runs with communicator "none" and no provisioner runs; the rest is the real path.
   */
  public boolean localMode() {
    return ec2Endpoint != null && ssh == null;
  }
}
