package dev.amipipeline.reliability;

import dev.amipipeline.aws.AwsClients;
import dev.amipipeline.project.ParameterNames;
import dev.amipipeline.project.Tags;
import dev.amipipeline.testing.Ec2Seed;
import java.util.ArrayList;
import java.util.List;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.Tag;
import software.amazon.awssdk.services.ssm.model.ParameterType;

/**
 * Images as a finished bake leaves them, in four calls each and without running Packer: registered
 * (moto gives each image one snapshot of its own, as a real CreateImage of a one-volume builder
 * does), the image and its snapshot tagged per the contract, and recorded as the next version of
 * {@code ami-id}.
 */
final class RecordedBakes {

  /** A seeded image and its snapshots. */
  record Baked(String amiId, String name, List<String> snapshotIds) {}

  private RecordedBakes() {}

  /** {@code count} bakes of {@code project}, oldest first, named {@code <project>-<n>}. */
  static List<Baked> seed(AwsClients aws, String project, int count) {
    List<Baked> bakes = new ArrayList<>();
    for (int i = 1; i <= count; i++) {
      bakes.add(seedOne(aws, project, project + "-" + i));
    }
    return bakes;
  }

  static Baked seedOne(AwsClients aws, String project, String name) {
    Ec2Client ec2 = aws.ec2();
    String ami = ec2.registerImage(b -> b.name(name).rootDeviceName("/dev/sda1").architecture("x86_64")
        .virtualizationType("hvm")).imageId();
    List<String> snapshots = ec2.describeImages(b -> b.imageIds(ami)).images().get(0).blockDeviceMappings().stream()
        .filter(m -> m.ebs() != null && m.ebs().snapshotId() != null).map(m -> m.ebs().snapshotId()).toList();
    List<String> resources = new ArrayList<>(snapshots);
    resources.add(ami);
    List<Tag> tags = List.of(Ec2Seed.tag(Tags.PROJECT, project), Ec2Seed.tag(Tags.INPUTS, "seed-" + name),
        Ec2Seed.tag(Tags.SOURCE_AMI, "ami-00000000"), Ec2Seed.tag(Tags.COMMIT, "unknown"), Ec2Seed.tag(Tags.NAME, name));
    ec2.createTags(b -> b.resources(resources).tags(tags));
    aws.ssm().putParameter(b -> b.name(new ParameterNames(ParameterNames.DEFAULT_PREFIX, project).amiId())
        .value(ami).type(ParameterType.STRING).dataType("aws:ec2:image")
        .overwrite(true));
    return new Baked(ami, name, List.copyOf(snapshots));
  }
}
