package dev.amipipeline.leftovers;

import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Which Packer builders are leaked and what goes with each, as pure functions of plain values: no SDK,
 * no clock (the caller passes {@code now}).
 */
public final class BuilderPlanner {

  /** A builder this old belongs to a Packer that was killed: bakes take minutes, at most an hour or two. */
  public static final Duration STALE_AGE = Duration.ofHours(6);

  /** Packer's temporary key pairs and security groups are named {@code packer_<uuid>}. */
  static final String PACKER_PREFIX = "packer_";

  private static final Set<String> GONE = Set.of("terminated", "shutting-down");

  private BuilderPlanner() {}

  /**
   * The builders of {@code projects} among {@code instances} left running 6 hours, and every builder of
   * a project in {@code abandonedBakes} (a killed bake: nothing will ever clean up after it); by id.
   */
  public static List<LiveInstance> stale(List<LiveInstance> instances, Collection<String> projects,
      Collection<String> abandonedBakes, Instant now) {
    return instances.stream()
        .filter(i -> i.builderOf().filter(projects::contains).isPresent())
        .filter(i -> !GONE.contains(i.state()))
        .filter(i -> !i.launched().plus(STALE_AGE).isAfter(now)
            || abandonedBakes.contains(i.builderOf().get()) && i.launched().isBefore(now))
        .sorted(Comparator.comparing(LiveInstance::id))
        .toList();
  }

  /**
   * For each of {@code builders}, its packer_* key pair and groups, unless an instance that stays
   * still uses them; {@code leaving} are all builders that go, {@code instances} every live instance.
   */
  public static List<BuilderPlan> plans(List<LiveInstance> builders, List<LiveInstance> leaving,
      List<LiveInstance> instances) {
    Set<String> leavingIds = leaving.stream().map(LiveInstance::id).collect(Collectors.toSet());
    List<LiveInstance> staying = instances.stream()
        .filter(i -> !leavingIds.contains(i.id()) && !"terminated".equals(i.state()))
        .toList();
    return builders.stream().map(b -> plan(b, staying)).toList();
  }

  private static BuilderPlan plan(LiveInstance builder, List<LiveInstance> staying) {
    String key = builder.keyName();
    boolean keyFree = key != null && key.startsWith(PACKER_PREFIX)
        && staying.stream().noneMatch(i -> key.equals(i.keyName()));
    Set<String> groupsInUse = new HashSet<>();
    staying.forEach(i -> i.securityGroups().forEach(g -> groupsInUse.add(g.id())));
    List<String> groups = builder.securityGroups().stream()
        .filter(g -> g.name().startsWith(PACKER_PREFIX) && !groupsInUse.contains(g.id()))
        .map(LiveInstance.SecurityGroup::id)
        .toList();
    return new BuilderPlan(builder, keyFree ? key : null, groups);
  }
}
