package dev.amipipeline.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.amipipeline.aws.AwsClients;
import dev.amipipeline.aws.AwsSettings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.Tag;
import software.amazon.awssdk.services.ssm.SsmClient;
import software.amazon.awssdk.services.ssm.model.ParameterMetadata;

/**
 * Everything a command could change in the emulator, read with describe calls straight from
 * moto_server and rendered as canonical JSON (sorted keys and lists): two renderings are equal
 * exactly when nothing changed. Images, snapshots and volumes are the account's own (moto ships
 * public ones that never change).
 */
public final class EmulatorState {

  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
      .enable(SerializationFeature.INDENT_OUTPUT);

  /** moto's default account, the one every test works in. */
  public static final String ACCOUNT = "123456789012";

  private EmulatorState() {}

  /** The state of {@code moto} as canonical JSON. */
  public static String of(MotoServer moto) {
    try (AwsClients aws = AwsClients.create(new AwsSettings(MotoServer.REGION, null, moto.endpoint()))) {
      return render(aws.ec2(), aws.ssm());
    }
  }

  /**
   * The same as a tree: sections {@code images}, {@code snapshots}, {@code volumes}, {@code instances},
   * {@code parameters}, {@code fleets} (objects keyed by id), {@code keyPairs}, {@code securityGroups},
   * {@code launchTemplates} (sorted arrays).
   */
  public static ObjectNode tree(MotoServer moto) {
    try {
      return (ObjectNode) JSON.readTree(of(moto));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String render(Ec2Client ec2, SsmClient ssm) {
    Filter mine = Filter.builder().name("owner-id").values(ACCOUNT).build();
    Map<String, Object> state = new TreeMap<>();
    state.put("images", byId(ec2.describeImagesPaginator(b -> b.owners("self").filters(mine)).images().stream()
        .map(i -> Map.of("id", i.imageId(), "name", String.valueOf(i.name()), "state", i.stateAsString(), "tags", tags(i.tags()),
            "snapshots", i.blockDeviceMappings().stream().filter(m -> m.ebs() != null)
                .map(m -> String.valueOf(m.ebs().snapshotId())).sorted().toList()))));
    state.put("snapshots", byId(ec2.describeSnapshotsPaginator(b -> b.filters(mine)).snapshots().stream()
        .map(s -> Map.of("id", s.snapshotId(), "state", s.stateAsString(), "tags", tags(s.tags())))));
    state.put("volumes", byId(ec2.describeVolumesPaginator().volumes().stream()
        .map(v -> Map.of("id", v.volumeId(), "state", v.stateAsString(), "tags", tags(v.tags())))));
    state.put("instances", byId(ec2.describeInstancesPaginator().reservations().stream()
        .flatMap(r -> r.instances().stream())
        .map(i -> Map.of("id", i.instanceId(), "state", i.state().nameAsString(), "image", i.imageId(),
            "tags", tags(i.tags())))));
    state.put("keyPairs", ec2.describeKeyPairs().keyPairs().stream().map(k -> k.keyName()).sorted().toList());
    state.put("securityGroups", ec2.describeSecurityGroups().securityGroups().stream()
        .map(g -> g.groupId() + " " + g.groupName()).sorted().toList());
    state.put("launchTemplates", ec2.describeLaunchTemplates().launchTemplates().stream()
        .map(t -> t.launchTemplateId() + " " + t.launchTemplateName() + " latest v" + t.latestVersionNumber()
            + " default v" + t.defaultVersionNumber()).sorted().toList());
    state.put("fleets", byId(ec2.describeFleetsPaginator().fleets().stream()
        .map(f -> Map.of("id", f.fleetId(), "state", f.fleetStateAsString(), "tags", tags(f.tags())))));
    state.put("parameters", byId(ssm.describeParametersPaginator().stream().flatMap(page -> page.parameters().stream())
        .map(p -> parameter(ssm, p))));
    try {
      return JSON.writeValueAsString(state);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Map<String, Object> parameter(SsmClient ssm, ParameterMetadata p) {
    String value = ssm.getParameter(b -> b.name(p.name()).withDecryption(true)).parameter().value();
    return Map.of("id", p.name(), "type", p.typeAsString(), "version", p.version(), "value", value);
  }

  private static Map<String, String> tags(List<Tag> tags) {
    return tags.stream().collect(Collectors.toMap(Tag::key, t -> String.valueOf(t.value()), (a, b) -> b, TreeMap::new));
  }

  private static Map<String, Map<String, ?>> byId(java.util.stream.Stream<Map<String, ?>> items) {
    Map<String, Map<String, ?>> sorted = new TreeMap<>();
    items.forEach(i -> sorted.put(String.valueOf(i.get("id")), i));
    return sorted;
  }
}
