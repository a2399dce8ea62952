package dev.amipipeline.leftovers;

import dev.amipipeline.aws.Ec2Tags;
import dev.amipipeline.project.Tags;
import java.util.ArrayList;
import java.util.List;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.Filter;

/** Reads a region's {@link LiveInstance}s: one paginated DescribeInstances with server-side filters. */
public final class LiveInstances {

  /** Every state but terminated: a stopped instance still needs its image, key pair and groups. */
  static final List<String> LIVE_STATES = List.of("pending", "running", "shutting-down", "stopping", "stopped");

  private LiveInstances() {}

  /** Every instance of the region that is not terminated. */
  public static List<LiveInstance> all(Ec2Client ec2) {
    return read(ec2, List.of());
  }

  /** The project's Packer builders that are not terminated. */
  public static List<LiveInstance> buildersOf(Ec2Client ec2, String project) {
    return read(ec2, List.of(Filter.builder().name("tag:" + Tags.BUILDER).values(project).build()));
  }

  private static List<LiveInstance> read(Ec2Client ec2, List<Filter> filters) {
    List<Filter> all = new ArrayList<>(filters);
    all.add(Filter.builder().name("instance-state-name").values(LIVE_STATES).build());
    return ec2.describeInstancesPaginator(b -> b.filters(all))
        .reservations().stream()
        .flatMap(r -> r.instances().stream())
        .map(i -> new LiveInstance(i.instanceId(), i.imageId(), i.state().nameAsString(), i.launchTime(),
            Ec2Tags.toMap(i.tags()), i.keyName(),
            i.securityGroups().stream().map(g -> new LiveInstance.SecurityGroup(g.groupId(), g.groupName())).toList()))
        .toList();
  }
}
