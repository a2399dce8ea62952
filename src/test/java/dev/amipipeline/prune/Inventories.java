package dev.amipipeline.prune;

import dev.amipipeline.leftovers.LiveInstance;
import dev.amipipeline.project.ProjectParameters.AmiVersion;
import dev.amipipeline.project.Tags;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Builds {@link Inventory} values for planner tests, the way the reader would fill them. */
final class Inventories {

  static final String REGION = "us-east-1";
  static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

  final List<Inventory.Image> images = new ArrayList<>();
  final List<Inventory.Snapshot> snapshots = new ArrayList<>();
  final List<LiveInstance> instances = new ArrayList<>();
  final List<Inventory.LaunchTemplateImage> templates = new ArrayList<>();
  final Map<String, List<AmiVersion>> versions = new LinkedHashMap<>();
  final Set<String> abandonedBakes = new HashSet<>();

  static Instant hour(long h) {
    return T0.plusSeconds(3600 * h);
  }

  /**
   * An image of {@code project} (null: untagged) whose block devices point at {@code snapshotIds}. Its
   * bake tags are Name {@code <project>-<id>} and inputs {@code in-<id>}.
   */
  Inventories image(String id, String project, Instant created, String... snapshotIds) {
    Map<String, String> tags = new HashMap<>();
    if (project != null) {
      tags.putAll(bakeTags(project, id));
    }
    images.add(new Inventory.Image(id, id + "-name", created, "available", tags,
        Arrays.stream(snapshotIds).map(s -> new Inventory.Device(s, 8)).toList()));
    return this;
  }

  Inventories imageInState(String id, String project, Instant created, String state) {
    images.add(new Inventory.Image(id, id, created, state, Map.of(Tags.PROJECT, project), List.of()));
    return this;
  }

  /** A snapshot with the bake tags of image {@code imageId} of {@code project} (which may not exist). */
  Inventories bakeSnapshot(String id, String project, String imageId, Instant started, String state) {
    snapshots.add(new Inventory.Snapshot(id, 8, started, state, bakeTags(project, imageId)));
    return this;
  }

  /** A snapshot of a launched instance's volume: project and Name tags, no inputs. */
  Inventories jobVolumeSnapshot(String id, String project, String name) {
    snapshots.add(new Inventory.Snapshot(id, 8, T0, "completed", Map.of(Tags.PROJECT, project, Tags.NAME, name)));
    return this;
  }

  static Map<String, String> bakeTags(String project, String imageId) {
    return Map.of(Tags.PROJECT, project, Tags.NAME, project + "-" + imageId, Tags.INPUTS, "in-" + imageId);
  }

  Inventories instance(String id, String imageId, String state) {
    instances.add(new LiveInstance(id, imageId, state, T0, Map.of(), null, List.of()));
    return this;
  }

  Inventories builder(String id, String project, Instant launched, String state, String keyName,
      LiveInstance.SecurityGroup... groups) {
    instances.add(new LiveInstance(id, "ami-base", state, launched, Map.of(Tags.BUILDER, project), keyName,
        List.of(groups)));
    return this;
  }

  Inventories instanceWith(String id, String keyName, LiveInstance.SecurityGroup... groups) {
    instances.add(new LiveInstance(id, "ami-other", "running", T0, Map.of(), keyName, List.of(groups)));
    return this;
  }

  Inventories launchTemplate(String templateId, long version, String imageId) {
    templates.add(new Inventory.LaunchTemplateImage(templateId, templateId + "-name", version, imageId, imageId));
    return this;
  }

  /** Records bakes of {@code project} in order: version 1 is the first id. */
  Inventories versions(String project, String... amiIds) {
    List<AmiVersion> list = new ArrayList<>();
    for (int i = 0; i < amiIds.length; i++) {
      list.add(new AmiVersion(i + 1, amiIds[i], hour(i)));
    }
    versions.put(project, list);
    return this;
  }

  /** The project's bake lock is held by a bake that has ended. */
  Inventories abandonedBake(String project) {
    abandonedBakes.add(project);
    return this;
  }

  Inventory build() {
    return new Inventory(REGION, images, snapshots, instances, templates, versions, abandonedBakes, List.of());
  }
}
