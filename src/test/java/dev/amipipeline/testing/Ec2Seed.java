package dev.amipipeline.testing;

import dev.amipipeline.project.Tags;
import java.util.ArrayList;
import java.util.List;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.BlockDeviceMapping;
import software.amazon.awssdk.services.ec2.model.Tag;

/**
 * Puts images into the emulator the way a bake leaves them (registered AMI, EBS snapshots, contract
 * tags) without running Packer, for tests of launch, prune and list.
 */
public final class Ec2Seed {

  /** A seeded image and its snapshots. */
  public record SeededImage(String amiId, List<String> snapshotIds) {}

  private final Ec2Client ec2;

  public Ec2Seed(Ec2Client ec2) {
    this.ec2 = ec2;
  }

  /** An image of {@code project} with {@code snapshots} EBS snapshots of 8 GiB, tagged per contract. */
  public SeededImage bakedImage(String project, String name, int snapshots) {
    String az = ec2.describeAvailabilityZones().availabilityZones().get(0).zoneName();
    List<String> snapshotIds = new ArrayList<>();
    List<BlockDeviceMapping> mappings = new ArrayList<>();
    for (int i = 0; i < snapshots; i++) {
      String volume = ec2.createVolume(b -> b.availabilityZone(az).size(8)).volumeId();
      String snap = ec2.createSnapshot(b -> b.volumeId(volume).description("seed " + name)).snapshotId();
      ec2.deleteVolume(b -> b.volumeId(volume));
      snapshotIds.add(snap);
      String device = i == 0 ? "/dev/sda1" : "/dev/sd" + (char) ('b' + i);
      mappings.add(BlockDeviceMapping.builder().deviceName(device)
          .ebs(e -> e.snapshotId(snap).volumeSize(8).deleteOnTermination(true)).build());
    }
    String amiId = ec2.registerImage(b -> b.name(name).rootDeviceName("/dev/sda1")
        .architecture("x86_64").virtualizationType("hvm").blockDeviceMappings(mappings)).imageId();
    List<Tag> tags = List.of(tag(Tags.PROJECT, project), tag(Tags.INPUTS, "seed-" + name),
        tag(Tags.SOURCE_AMI, "ami-00000000"), tag(Tags.COMMIT, "unknown"), tag(Tags.NAME, name));
    List<String> resources = new ArrayList<>(snapshotIds);
    resources.add(amiId);
    ec2.createTags(b -> b.resources(resources).tags(tags));
    return new SeededImage(amiId, List.copyOf(snapshotIds));
  }

  public static Tag tag(String key, String value) {
    return Tag.builder().key(key).value(value).build();
  }
}
