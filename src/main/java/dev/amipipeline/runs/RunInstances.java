package dev.amipipeline.runs;

import dev.amipipeline.aws.AwsErrors;
import dev.amipipeline.aws.Ec2Tags;
import dev.amipipeline.leftovers.RunFleets;
import dev.amipipeline.project.Tags;
import dev.amipipeline.results.RunId;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.Ec2Exception;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.InstanceLifecycleType;

/**
 * The EC2 edge of runs: the instances of projects or of one run (paginated DescribeInstances with
 * server-side tag filters), one instance's state and console output, and what a cancel does to them
 * and to a recovering run's fleet.
 */
public final class RunInstances {

  private final Ec2Client ec2;

  public RunInstances(Ec2Client ec2) {
    this.ec2 = ec2;
  }

  /** Every instance EC2 lists of these projects, in any state. */
  public List<ListedInstance> ofProjects(Collection<String> projects) {
    return projects.isEmpty() ? List.of() : list(List.of(tag(Tags.PROJECT, List.copyOf(projects))));
  }

  /** The instances of one run of {@code project}: tagged with its id, or, for an instance id, that instance. */
  public List<ListedInstance> ofRun(String project, RunId run) {
    Filter which = run.isInstanceId()
        ? Filter.builder().name("instance-id").values(run.value()).build()
        : tag(Tags.RUN, List.of(run.value()));
    return list(List.of(tag(Tags.PROJECT, List.of(project)), which));
  }

  /** One instance, whatever its tags; empty when EC2 does not list it (any more). */
  public Optional<ListedInstance> byId(String instanceId) {
    return list(List.of(Filter.builder().name("instance-id").values(instanceId).build())).stream().findFirst();
  }

  /** Its state name; {@code terminated} once EC2 no longer lists it. */
  public String state(String instanceId) {
    return byId(instanceId).map(ListedInstance::state).orElse("terminated");
  }

  /** What the instance wrote to its console, decoded; empty when EC2 has none (or no longer knows it). */
  public Optional<String> consoleOutput(String instanceId) {
    try {
      String output = ec2.getConsoleOutput(b -> b.instanceId(instanceId)).output();
      return output == null || output.isEmpty() ? Optional.empty()
          : Optional.of(new String(Base64.getMimeDecoder().decode(output), StandardCharsets.UTF_8));
    } catch (Ec2Exception e) {
      if (e.awsErrorDetails() != null && "InvalidInstanceID.NotFound".equals(e.awsErrorDetails().errorCode())) {
        return Optional.empty();
      }
      throw e;
    }
  }

  /** Tags each instance {@code ami-pipeline:cancelled=<at>}: the instance reads it when it is stopped. */
  public void tagCancelled(List<String> instanceIds, String at) {
    ec2.createTags(b -> b.resources(instanceIds).tags(t -> t.key(Tags.CANCELLED).value(at)));
  }

  public void terminate(List<String> instanceIds) {
    ec2.terminateInstances(b -> b.instanceIds(instanceIds));
  }

  /** Deletes a recovering run's fleet and terminates its instances; one already gone counts as deleted. */
  public void deleteFleet(String fleetId) {
    try {
      RunFleets.delete(ec2, fleetId);
    } catch (Ec2Exception e) {
      if (!"fleetIdDoesNotExist".equals(AwsErrors.code(e))) {
        throw e;
      }
    }
  }

  private List<ListedInstance> list(List<Filter> filters) {
    List<ListedInstance> all = new ArrayList<>();
    ec2.describeInstancesPaginator(b -> b.filters(filters)).reservations()
        .forEach(r -> r.instances().forEach(i -> all.add(listed(i))));
    return all;
  }

  private static ListedInstance listed(Instance i) {
    Map<String, String> tags = Ec2Tags.toMap(i.tags());
    return new ListedInstance(i.instanceId(), tags.get(Tags.PROJECT), tags.get(Tags.RUN), i.instanceTypeAsString(),
        i.instanceLifecycle() == InstanceLifecycleType.SPOT ? "spot" : "on-demand",
        i.state() == null ? null : i.state().nameAsString(), i.launchTime(), tags.get(Tags.CANCELLED));
  }

  private static Filter tag(String key, List<String> values) {
    return Filter.builder().name("tag:" + key).values(values).build();
  }
}
