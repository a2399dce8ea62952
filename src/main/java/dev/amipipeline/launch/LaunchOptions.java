package dev.amipipeline.launch;

import dev.amipipeline.common.AmiException;
import dev.amipipeline.project.Project;
import java.math.BigDecimal;
import java.util.List;

/**
 * What the user asked for on the command line, as plain values; nulls and empty lists mean "the
 * project's". Instance types are decided separately (flag, chooser or project).
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
    if (count < 1) {
      throw new IllegalArgumentException("count must be at least 1, was " + count);
    }
  }

  /** Spot when the flag says so, else the project's launch.spot. */
  public boolean spotFor(Project project) {
    return spot != null ? spot : project.spec().launch().spot();
  }

  /** Combinations that only make sense with the project's defaults known; exit 2 before any AWS call. */
  public void checkAgainst(Project project) {
    if (!spotFor(project)) {
      String why = spot == null ? " (project " + project.name() + " launches on demand; add --spot)" : "";
      if (maxPrice != null) {
        throw new AmiException.BadInput("--max-price applies to spot launches only" + why);
      }
      if (onDemandFallback) {
        throw new AmiException.BadInput("--on-demand-fallback applies to spot launches only" + why);
      }
    }
  }
}
