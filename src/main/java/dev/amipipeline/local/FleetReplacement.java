package dev.amipipeline.local;

import dev.amipipeline.results.ExitStatus;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import software.amazon.awssdk.services.ec2.model.LaunchTemplateInstanceMetadataOptions;

/**
 * What EC2 does for a recovering run when one of its attempts has ended, as the local runtime plays
 * it: moto launches a maintain fleet's first instance but never replaces one. An attempt that a
 * spot interruption ended is replaced while the run's fleet is active (first-boot and
 * {@code ami cancel} delete it when the run ends) and its ValidUntil has not passed; the
 * replacement comes from the fleet's launch template version, on demand once the interrupted
 * attempt's number has reached the run's onDemandAfter (what first-boot's ModifyFleet asks EC2 for,
 * which moto does not keep), else in the fleet's market ({@link NewAttempt#fromFleet}). Pure.
 */
public final class FleetReplacement {

  /** On every instance of a recovering run (the launch template version's instance tags). */
  public static final String MAX_ATTEMPTS_TAG = "ami-pipeline:max-attempts";
  /** The attempt after which replacements run on demand; absent: never. */
  public static final String ON_DEMAND_AFTER_TAG = "ami-pipeline:on-demand-after";
  /** Where a launch template's image is resolved from an SSM parameter at launch. */
  static final String RESOLVE_SSM = "resolve:ssm:";
  /** Fleet states in which EC2 still maintains its capacity. */
  private static final Set<String> MAINTAINING = Set.of("submitted", "active", "modifying");

  private FleetReplacement() {}

  /**
   * A run's fleet as the emulator describes it, with what its launch template version says.
   *
   * @param templateImage the version's ImageId, e.g. {@code resolve:ssm:/ami-pipeline/demo/ami-id}
   * @param metadataOptions the version's metadata options; null when it sets none
   * @param validUntil null: no end
   */
  public record Fleet(String fleetId, String state, String templateId, String templateVersion, boolean spot,
      Instant validUntil, boolean terminateInstancesWithExpiration, String templateImage,
      LaunchTemplateInstanceMetadataOptions metadataOptions) {

    /** Whether EC2 would still replace its instances at {@code now}. */
    public boolean maintains(Instant now) {
      return MAINTAINING.contains(state) && !expired(now);
    }

    public boolean expired(Instant now) {
      return validUntil != null && !now.isBefore(validUntil);
    }

    /** Whether instances launched from its template serve their tags through the metadata service. */
    public boolean metadataTags() {
      return metadataOptions != null && "enabled".equals(metadataOptions.instanceMetadataTagsAsString());
    }
  }

  /** What comes after an attempt: a replacement, or the end of the run's attempts. */
  public sealed interface Next permits Replace, Stop {}

  /** Launch another attempt, on the spot market or on demand. */
  public record Replace(boolean spot) implements Next {}

  /** No more attempts here, and why. */
  public record Stop(String why) implements Next {}

  /**
   * @param ended the exit status the attempt left; null when it left none
   * @param tags the attempt's instance tags
   * @param fleet the run's fleet; null when it has none
   */
  public static Next afterAttempt(ExitStatus ended, Map<String, String> tags, Fleet fleet, Instant now) {
    if (!tags.containsKey(MAX_ATTEMPTS_TAG)) {
      return new Stop("the run does not recover");
    }
    if (ended == null) {
      return new Stop("the attempt left no exit status");
    }
    if (!ExitStatus.SPOT_INTERRUPTION.equals(ended.reason())) {
      return new Stop("the attempt ended the run (" + ended.reason() + ")");
    }
    if (fleet == null) {
      return new Stop("the run has no fleet to replace its instance");
    }
    if (fleet.expired(now)) {
      return new Stop("its fleet " + fleet.fleetId() + " expired at " + fleet.validUntil() + " (ValidUntil)");
    }
    if (!fleet.maintains(now)) {
      return new Stop("its fleet " + fleet.fleetId() + " is " + fleet.state());
    }
    return new Replace(fleet.spot() && !onDemandFrom(ended.attemptOrFirst(), tags.get(ON_DEMAND_AFTER_TAG)));
  }

  /** Whether replacements of attempt {@code attempt} run on demand: from attempt onDemandAfter on. */
  static boolean onDemandFrom(int attempt, String onDemandAfter) {
    if (onDemandAfter == null || !onDemandAfter.matches("[1-9][0-9]{0,8}")) {
      return false;
    }
    return attempt >= Integer.parseInt(onDemandAfter);
  }

  /** The SSM parameter (with its {@code :version}, if any) an image id {@code resolve:ssm:…} names. */
  static Optional<String> ssmParameter(String imageId) {
    return imageId != null && imageId.startsWith(RESOLVE_SSM) && imageId.length() > RESOLVE_SSM.length()
        ? Optional.of(imageId.substring(RESOLVE_SSM.length()))
        : Optional.empty();
  }
}
