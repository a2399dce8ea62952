package dev.amipipeline.leftovers;

import dev.amipipeline.aws.Ec2Tags;
import dev.amipipeline.project.Tags;
import dev.amipipeline.results.RunId;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import software.amazon.awssdk.services.ec2.model.FleetData;

/**
 * An EC2 Fleet of ami-pipeline's: a recovering run's {@code maintain} fleet, which replaces its
 * interrupted instances until the instance side deletes it at the run's end or its ValidUntil passes.
 *
 * @param validUntil after this EC2 launches nothing for it; null = never (not one of ours)
 */
public record RunFleet(String id, String type, String state, Instant validUntil, Map<String, String> tags) {

  /** States in which a fleet still launches instances. */
  public static final Set<String> ACTIVE = Set.of("submitted", "active", "modifying");
  public static final String MAINTAIN = "maintain";

  public RunFleet {
    Objects.requireNonNull(id, "id");
    tags = Map.copyOf(tags);
  }

  static RunFleet of(FleetData f) {
    return new RunFleet(f.fleetId(), f.typeAsString(), f.fleetStateAsString(), f.validUntil(), Ec2Tags.toMap(f.tags()));
  }

  /** Its {@code ami-pipeline:project} tag, or null. */
  public String project() {
    return tags.get(Tags.PROJECT);
  }

  /** The run it keeps, by its {@code ami-pipeline:run} tag; empty when it has none. */
  public Optional<RunId> run() {
    return RunId.tryParse(tags.get(Tags.RUN)).filter(r -> !r.isInstanceId());
  }

  /** Whether it may still launch instances: active, and its ValidUntil not passed at {@code now}. */
  public boolean replaces(Instant now) {
    return ACTIVE.contains(state) && MAINTAIN.equals(type) && (validUntil == null || validUntil.isAfter(now));
  }
}
