package dev.amipipeline.prune;

import dev.amipipeline.aws.AwsErrors;
import dev.amipipeline.aws.Ec2Tags;
import dev.amipipeline.common.AmiException;
import dev.amipipeline.leftovers.BakeLockHolder;
import dev.amipipeline.leftovers.FleetPlanner;
import dev.amipipeline.leftovers.LiveInstance;
import dev.amipipeline.leftovers.LiveInstances;
import dev.amipipeline.leftovers.RunFleet;
import dev.amipipeline.leftovers.RunFleets;
import dev.amipipeline.project.ParameterNames;
import dev.amipipeline.project.ProjectParameters;
import dev.amipipeline.project.ProjectParameters.AmiVersion;
import dev.amipipeline.project.Tags;
import dev.amipipeline.results.RunId;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.LaunchTemplate;
import software.amazon.awssdk.services.ec2.model.LaunchTemplateVersion;
import software.amazon.awssdk.services.ssm.SsmClient;
import software.amazon.awssdk.services.ssm.model.ParameterNotFoundException;
import software.amazon.awssdk.services.ssm.model.ParameterVersionNotFoundException;

/**
 * Reads one region's {@link Inventory}: paginated describes with server-side filters, and the results
 * of runs whose fleet is still active with none of their instances at work (has the run ended?).
 *
 * <p>Snapshots are read before images: Packer tags snapshots only after their image exists, so every
 * bake snapshot seen here has its image in the later image listing, and a bake finishing meanwhile
 * never makes its snapshots look orphaned. Instances and launch templates are read last, closest to
 * the deletes they guard.
 */
public final class InventoryReader {

  /** Why a run of a project has ended, as its results say; empty when they show no final end. */
  @FunctionalInterface
  public interface RunResults {
    Optional<String> end(String project, RunId run);

    /** Results never read: a fleet is judged by its ValidUntil alone. */
    RunResults NONE = (project, run) -> Optional.empty();
  }

  private static final String RESOLVE_SSM = "resolve:ssm:";

  private final Ec2Client ec2;
  private final SsmClient ssm;
  private final String account;
  private final String ssmPrefix;
  private final RunResults results;

  public InventoryReader(Ec2Client ec2, SsmClient ssm, String account, String ssmPrefix) {
    this(ec2, ssm, account, ssmPrefix, RunResults.NONE);
  }

  /** @param results where runs' results are read, for their fleets */
  public InventoryReader(Ec2Client ec2, SsmClient ssm, String account, String ssmPrefix, RunResults results) {
    this.ec2 = ec2;
    this.ssm = ssm;
    this.account = account;
    this.ssmPrefix = ssmPrefix;
    this.results = results;
  }

  public Inventory read(String region, Collection<String> projects) {
    return read(region, projects, Instant.now());
  }

  /**
   * @param now when the inventory is read: fleets whose ValidUntil has passed need no results read
   */
  public Inventory read(String region, Collection<String> projects, Instant now) {
    List<String> notes = new ArrayList<>();
    List<Inventory.Snapshot> snapshots = bakeSnapshots();
    List<Inventory.Image> images = images();
    Map<String, List<AmiVersion>> versions = new LinkedHashMap<>();
    for (String project : projects) {
      versions.put(project, new ProjectParameters(ssm, new ParameterNames(ssmPrefix, project)).amiIdHistory());
    }
    List<Inventory.LaunchTemplateImage> templates = launchTemplateImages(notes);
    List<LiveInstance> instances = LiveInstances.all(ec2);
    Set<String> abandoned = abandonedBakes(projects, instances, notes);
    List<RunFleet> fleets = RunFleets.active(ec2);
    Map<String, String> ended = new LinkedHashMap<>();
    for (RunId run : FleetPlanner.runsToRead(fleets, projects, instances, now)) {
      results.end(run.project(), run).ifPresent(why -> ended.put(run.value(), why));
    }
    return new Inventory(region, images, snapshots, instances, templates, versions, abandoned, notes, fleets,
        ended);
  }

  /**
   * The projects with a live builder whose bake lock is held by a process of this host that has ended.
   * The lock is read only when there is a builder, so a prune without one makes no extra call.
   */
  private Set<String> abandonedBakes(Collection<String> projects, List<LiveInstance> instances,
      List<String> notes) {
    Set<String> abandoned = new TreeSet<>();
    Set<String> building = instances.stream().flatMap(i -> i.builderOf().stream()).collect(Collectors.toSet());
    for (String project : projects) {
      ParameterNames names = new ParameterNames(ssmPrefix, project);
      if (building.contains(project) && BakeLockHolder.abandonedHere(lockValue(names))) {
        abandoned.add(project);
        notes.add(project + ": the bake holding " + names.bakeLock() + " has ended without cleaning up; its"
            + " builders go now");
      }
    }
    return abandoned;
  }

  private String lockValue(ParameterNames names) {
    try {
      return ssm.getParameter(b -> b.name(names.bakeLock())).parameter().value();
    } catch (ParameterNotFoundException e) {
      return "";
    }
  }

  private Filter ownedByAccount() {
    return filter("owner-id", account);
  }

  /**
   * Every image the account owns, tagged or not: the project tag is checked by the planner, because an
   * untagged image registered from one of our snapshots must still protect that snapshot. Owners alone
   * is ignored by some emulators, hence the owner-id filter too.
   */
  private List<Inventory.Image> images() {
    return ec2.describeImagesPaginator(b -> b.owners(account).filters(ownedByAccount())
            .includeDeprecated(true).includeDisabled(true))
        .images().stream()
        .map(i -> new Inventory.Image(i.imageId(), i.name(), Instant.parse(i.creationDate()), i.stateAsString(),
            Ec2Tags.toMap(i.tags()),
            i.blockDeviceMappings().stream()
                .filter(m -> m.ebs() != null && m.ebs().snapshotId() != null)
                .map(m -> new Inventory.Device(m.ebs().snapshotId(), orZero(m.ebs().volumeSize())))
                .toList()))
        .toList();
  }

  /** Only a bake sets the inputs tag; the planner checks the project tag too. */
  private List<Inventory.Snapshot> bakeSnapshots() {
    return ec2.describeSnapshotsPaginator(b -> b.ownerIds(account)
            .filters(ownedByAccount(), filter("tag-key", Tags.INPUTS)))
        .snapshots().stream()
        .map(s -> new Inventory.Snapshot(s.snapshotId(), orZero(s.volumeSize()), s.startTime(), s.stateAsString(),
            Ec2Tags.toMap(s.tags())))
        .toList();
  }

  /**
   * The image of every version of every launch template: a template's old versions can still be
   * launched by name, so $Default and $Latest are not enough.
   */
  private List<Inventory.LaunchTemplateImage> launchTemplateImages(List<String> notes) {
    List<Inventory.LaunchTemplateImage> found = new ArrayList<>();
    Map<String, Optional<String>> resolved = new HashMap<>();
    for (LaunchTemplate template : ec2.describeLaunchTemplatesPaginator().launchTemplates()) {
      String id = template.launchTemplateId();
      for (LaunchTemplateVersion v : ec2.describeLaunchTemplateVersionsPaginator(b -> b.launchTemplateId(id))
          .launchTemplateVersions()) {
        String reference = v.launchTemplateData() == null ? null : v.launchTemplateData().imageId();
        if (reference == null) {
          continue;
        }
        String imageId = !reference.startsWith(RESOLVE_SSM) ? reference
            : resolved.computeIfAbsent(reference, r -> resolve(r, id, v.versionNumber(), notes)).orElse(null);
        found.add(new Inventory.LaunchTemplateImage(id, template.launchTemplateName(), v.versionNumber(), reference,
            imageId));
      }
    }
    return found;
  }

  /**
   * The AMI id a {@code resolve:ssm:name[:version|:label]} reference names today. A parameter that does
   * not exist names no image; one that cannot be read stops the prune, since the template might name
   * any image.
   */
  private Optional<String> resolve(String reference, String templateId, long version, List<String> notes) {
    String parameter = reference.substring(RESOLVE_SSM.length());
    try {
      return Optional.of(ssm.getParameter(b -> b.name(parameter)).parameter().value());
    } catch (ParameterNotFoundException | ParameterVersionNotFoundException e) {
      notes.add("launch template " + templateId + " v" + version + " uses " + reference
          + ", which does not exist; it keeps no image");
      return Optional.empty();
    } catch (AwsServiceException e) {
      throw new AmiException.Failed("cannot read " + parameter + " (used by launch template " + templateId + " v"
          + version + "): " + AwsErrors.describe(e) + "; prune stops, since that template may use any"
          + " image — grant ssm:GetParameter on it", e);
    }
  }

  private static Filter filter(String name, String value) {
    return Filter.builder().name(name).values(value).build();
  }

  private static int orZero(Integer n) {
    return n == null ? 0 : n;
  }
}
