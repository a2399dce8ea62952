package dev.amipipeline.leftovers;

import dev.amipipeline.project.Tags;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/** An instance that is not terminated, with what decides whether it is a leftover and what goes with it. */
public record LiveInstance(String id, String imageId, String state, Instant launched, Map<String, String> tags,
    String keyName, List<SecurityGroup> securityGroups) {

  public LiveInstance {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(launched, "launched");
    tags = Map.copyOf(tags);
    securityGroups = List.copyOf(securityGroups);
  }

  /** The project whose Packer builder this is; empty for any other instance. */
  public Optional<String> builderOf() {
    return Optional.ofNullable(tags.get(Tags.BUILDER));
  }

  /** A security group an instance is in. */
  public record SecurityGroup(String id, String name) {
    public SecurityGroup {
      Objects.requireNonNull(id, "id");
      name = name == null ? "" : name;
    }
  }
}
