package dev.amipipeline.bake;

import dev.amipipeline.aws.AwsErrors;
import dev.amipipeline.common.AmiException;
import dev.amipipeline.project.Project;
import dev.amipipeline.project.ProjectSpec;
import java.util.List;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.Ec2Exception;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.Image;

/**
 * Resolves a project's base image to one id through EC2 DescribeImages, before hashing: a new base
 * image then means new inputs, and Packer builds from exactly the id that was hashed.
 */
final class SourceImages {

  private SourceImages() {}

  static SourceImage resolve(Ec2Client ec2, Project project, String region) {
    ProjectSpec.BaseImage base = project.spec().bake().baseImage();
    String where = project.file() + ": bake.baseImage";
    if (!base.isFilter()) {
      List<Image> found;
      try {
        found = ec2.describeImages(b -> b.imageIds(base.amiId())).images();
      } catch (Ec2Exception e) {
        if (!AwsErrors.noSuchImage(e)) {
          throw e;
        }
        found = List.of();
      }
      if (found.isEmpty()) {
        throw new AmiException.BadInput(where + ".amiId: " + base.amiId() + " does not exist in " + region
            + " (or is not shared with this account); use an image id of that region");
      }
      return of(found.get(0));
    }
    List<SourceImage> candidates = ec2.describeImagesPaginator(b -> b.owners(base.owners()).filters(
            filter("name", base.name()), filter("architecture", base.architecture()), filter("state", "available")))
        .images().stream().map(SourceImages::of).toList();
    return SourceImage.newest(candidates).orElseThrow(() -> new AmiException.BadInput(where
        + ": no available " + base.architecture() + " image of owners " + base.owners() + " is named like '"
        + base.name() + "' in " + region + "; check owners and name"));
  }

  private static SourceImage of(Image i) {
    return new SourceImage(i.imageId(), i.name(), i.rootDeviceName(), i.creationDate());
  }

  private static Filter filter(String name, String value) {
    return Filter.builder().name(name).values(value).build();
  }
}
