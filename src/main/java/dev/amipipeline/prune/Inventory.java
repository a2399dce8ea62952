package dev.amipipeline.prune;

import dev.amipipeline.leftovers.LiveInstance;
import dev.amipipeline.leftovers.RunFleet;
import dev.amipipeline.project.ProjectParameters.AmiVersion;
import dev.amipipeline.project.Tags;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * What one region holds that decides whether an image may go, read once and handed to the {@link
 * Planner} as plain values.
 *
 * @param images every image the account owns in the region, tagged or not (an untagged image still
 *     protects the snapshots it references)
 * @param bakeSnapshots the account's snapshots that carry a bake's tags: {@code ami-pipeline:project} and
 *     {@code ami-pipeline:inputs} (a launched instance's volumes carry the project tag only, and so do
 *     snapshots a user or a backup policy takes of them: never ours to delete)
 * @param instances every instance that is not terminated
 * @param launchTemplateImages the image of every version of every launch template
 * @param amiVersions per project, the versions of {@code <prefix>/<project>/ami-id}
 * @param abandonedBakes the projects whose bake lock is held by a process of this host that has ended
 * @param notes what the reader could not find out, for the report
 * @param fleets the active {@code maintain} fleets tagged {@code ami-pipeline:project} (recovering runs')
 * @param endedRuns why each run whose fleet might be leaked has ended, by run id, as its results say
 */
public record Inventory(
    String region,
    List<Image> images,
    List<Snapshot> bakeSnapshots,
    List<LiveInstance> instances,
    List<LaunchTemplateImage> launchTemplateImages,
    Map<String, List<AmiVersion>> amiVersions,
    Set<String> abandonedBakes,
    List<String> notes,
    List<RunFleet> fleets,
    Map<String, String> endedRuns) {

  public Inventory {
    Objects.requireNonNull(region, "region");
    images = List.copyOf(images);
    bakeSnapshots = List.copyOf(bakeSnapshots);
    instances = List.copyOf(instances);
    launchTemplateImages = List.copyOf(launchTemplateImages);
    amiVersions = Map.copyOf(amiVersions);
    abandonedBakes = Set.copyOf(abandonedBakes);
    notes = List.copyOf(notes);
    fleets = List.copyOf(fleets);
    endedRuns = Map.copyOf(endedRuns);
  }

  /** An inventory without fleets. */
  public Inventory(String region, List<Image> images, List<Snapshot> bakeSnapshots, List<LiveInstance> instances,
      List<LaunchTemplateImage> launchTemplateImages, Map<String, List<AmiVersion>> amiVersions,
      Set<String> abandonedBakes, List<String> notes) {
    this(region, images, bakeSnapshots, instances, launchTemplateImages, amiVersions, abandonedBakes, notes,
        List.of(), Map.of());
  }

  /** An inventory without abandoned bakes. */
  public Inventory(String region, List<Image> images, List<Snapshot> bakeSnapshots, List<LiveInstance> instances,
      List<LaunchTemplateImage> launchTemplateImages, Map<String, List<AmiVersion>> amiVersions, List<String> notes) {
    this(region, images, bakeSnapshots, instances, launchTemplateImages, amiVersions, Set.of(), notes);
  }

  /**
   * What a bake tags an image and each of its snapshots alike: project, Name and inputs. Empty when one
   * is missing.
   */
  static Optional<List<String>> bakeIdentity(Map<String, String> tags) {
    String project = tags.get(Tags.PROJECT);
    String name = tags.get(Tags.NAME);
    String inputs = tags.get(Tags.INPUTS);
    return project == null || name == null || name.isEmpty() || inputs == null || inputs.isEmpty()
        ? Optional.empty() : Optional.of(List.of(project, name, inputs));
  }

  /** An EBS snapshot an image's block device mapping points at. */
  public record Device(String snapshotId, int sizeGiB) {
    public Device {
      Objects.requireNonNull(snapshotId, "snapshotId");
    }
  }

  /** An image (AMI) the account owns. */
  public record Image(String id, String name, Instant created, String state, Map<String, String> tags,
      List<Device> devices) {
    public Image {
      Objects.requireNonNull(id, "id");
      Objects.requireNonNull(created, "created");
      name = name == null ? "" : name;
      state = state == null ? "available" : state;
      tags = Map.copyOf(tags);
      devices = List.copyOf(devices);
    }

    public Optional<String> project() {
      return Optional.ofNullable(tags.get(Tags.PROJECT));
    }
  }

  /** A snapshot carrying a bake's tags. */
  public record Snapshot(String id, int sizeGiB, Instant started, String state, Map<String, String> tags) {
    public Snapshot {
      Objects.requireNonNull(id, "id");
      Objects.requireNonNull(started, "started");
      state = state == null ? "completed" : state;
      tags = Map.copyOf(tags);
    }

    public Optional<String> project() {
      return Optional.ofNullable(tags.get(Tags.PROJECT));
    }
  }

  /**
   * The image of one launch template version: {@code reference} as written in the template (an AMI id
   * or {@code resolve:ssm:…}), {@code imageId} what it resolves to (null when it names nothing).
   */
  public record LaunchTemplateImage(String templateId, String templateName, long version, String reference,
      String imageId) {
    public LaunchTemplateImage {
      Objects.requireNonNull(templateId, "templateId");
      Objects.requireNonNull(reference, "reference");
    }
  }
}
