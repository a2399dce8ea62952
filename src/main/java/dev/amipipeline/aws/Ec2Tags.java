package dev.amipipeline.aws;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import software.amazon.awssdk.services.ec2.model.Tag;

/** EC2's tag lists as maps: a missing value is empty, a repeated key keeps its last value. */
public final class Ec2Tags {

  private Ec2Tags() {}

  public static Map<String, String> toMap(List<Tag> tags) {
    return tags.stream().collect(Collectors.toMap(Tag::key, t -> t.value() == null ? "" : t.value(), (a, b) -> b));
  }
}
