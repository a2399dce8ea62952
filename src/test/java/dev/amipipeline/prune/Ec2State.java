package dev.amipipeline.prune;

import dev.amipipeline.project.Tags;
import dev.amipipeline.testing.Ec2Seed;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.Image;

/**
 * What the emulator holds, read with describe calls: the state prune tests assert on. Comparable, so
 * "nothing changed" is one equality.
 */
record Ec2State(Set<String> images, Set<String> snapshots, Set<String> liveInstances, Set<String> keyPairs,
    Set<String> securityGroups, Set<String> launchTemplates) {

  static final String ACCOUNT = "123456789012";

  static Ec2State read(Ec2Client ec2) {
    Set<String> images = ec2.describeImagesPaginator(b -> b.owners(ACCOUNT).filters(ownerFilter())).images().stream()
        .map(Image::imageId).collect(Collectors.toCollection(TreeSet::new));
    Set<String> snapshots = ec2.describeSnapshotsPaginator(b -> b.filters(ownerFilter())).snapshots().stream()
        .map(s -> s.snapshotId()).collect(Collectors.toCollection(TreeSet::new));
    Set<String> instances = ec2.describeInstancesPaginator(b -> b.filters(Filter.builder()
            .name("instance-state-name").values("pending", "running", "stopping", "stopped").build()))
        .reservations().stream().flatMap(r -> r.instances().stream())
        .map(i -> i.instanceId() + ":" + i.state().nameAsString())
        .collect(Collectors.toCollection(TreeSet::new));
    Set<String> keys = ec2.describeKeyPairs().keyPairs().stream().map(k -> k.keyName())
        .collect(Collectors.toCollection(TreeSet::new));
    Set<String> groups = ec2.describeSecurityGroups().securityGroups().stream().map(g -> g.groupId())
        .collect(Collectors.toCollection(TreeSet::new));
    Set<String> templates = ec2.describeLaunchTemplates().launchTemplates().stream()
        .map(t -> t.launchTemplateId() + ":v" + t.latestVersionNumber())
        .collect(Collectors.toCollection(TreeSet::new));
    return new Ec2State(images, snapshots, instances, keys, groups, templates);
  }

  private static Filter ownerFilter() {
    return Filter.builder().name("owner-id").values(ACCOUNT).build();
  }

  /** The snapshots an image's block device mapping points at (moto makes one per image). */
  static List<String> mappedSnapshots(Ec2Client ec2, String imageId) {
    return ec2.describeImages(b -> b.imageIds(imageId)).images().get(0).blockDeviceMappings().stream()
        .map(m -> m.ebs().snapshotId()).toList();
  }

  /** Every snapshot of a seeded image: the seeded (tagged) ones and the one its mapping points at. */
  static List<String> allSnapshots(Ec2Client ec2, Ec2Seed.SeededImage image) {
    List<String> all = new ArrayList<>(image.snapshotIds());
    all.addAll(mappedSnapshots(ec2, image.amiId()));
    return all;
  }

  /** Images tagged with the project. */
  static Set<String> projectImages(Ec2Client ec2, String project) {
    return ec2.describeImagesPaginator(b -> b.owners(ACCOUNT).filters(ownerFilter(),
            Filter.builder().name("tag:" + Tags.PROJECT).values(project).build()))
        .images().stream().map(Image::imageId).collect(Collectors.toCollection(TreeSet::new));
  }
}
