package dev.amipipeline.leftovers;

import java.util.List;
import java.util.Objects;

/**
 * A builder instance no Packer runs any more, and the {@code packer_*} key pair (null when none) and
 * security groups that go with it once no other instance uses them.
 */
public record BuilderPlan(LiveInstance instance, String keyPair, List<String> securityGroupIds) {
  public BuilderPlan {
    Objects.requireNonNull(instance, "instance");
    securityGroupIds = List.copyOf(securityGroupIds);
  }
}
