package dev.amipipeline.launch;

import dev.amipipeline.project.Project;
import java.math.BigDecimal;
import java.util.List;

/**
 * What the flags say about the instances themselves, as plain values for the {@link LaunchPlanner};
 * nulls and empty lists mean "the project's". Instance types are decided separately (flag, chooser
 * or project). The rules these values must follow are {@link LaunchRequest}'s.
 */
public record LaunchOptions(
    Boolean spot,
    BigDecimal maxPrice,
    boolean onDemandFallback,
    List<String> subnets,
    List<String> securityGroups,
    String keyName,
    String iamInstanceProfile,
    String rootDevice,
    int count,
    Placement placement) {

  public LaunchOptions {
    subnets = subnets == null ? List.of() : List.copyOf(subnets);
    securityGroups = securityGroups == null ? List.of() : List.copyOf(securityGroups);
  }

  /** Spot when the flag says so, else the project's launch.spot. */
  public boolean spotFor(Project project) {
    return spot != null ? spot : project.spec().launch().spot();
  }
}
