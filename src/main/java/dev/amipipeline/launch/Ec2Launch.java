package dev.amipipeline.launch;

import dev.amipipeline.common.AmiException;
import dev.amipipeline.common.WaitReporter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.Collectors;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.waiters.Waiter;
import software.amazon.awssdk.core.waiters.WaiterAcceptor;
import software.amazon.awssdk.core.waiters.WaiterResponse;
import software.amazon.awssdk.retries.api.BackoffStrategy;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.ActiveInstance;
import software.amazon.awssdk.services.ec2.model.CreateFleetInstance;
import software.amazon.awssdk.services.ec2.model.CreateFleetResponse;
import software.amazon.awssdk.services.ec2.model.DescribeFleetInstancesResponse;
import software.amazon.awssdk.services.ec2.model.DescribeInstancesResponse;
import software.amazon.awssdk.services.ec2.model.Ec2Exception;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.PlacementStrategy;

/**
 * The EC2 edge of a launch: RunInstances with capacity fallback, instant fleets, recovering runs'
 * maintain fleets, waiting, placement groups.
 */
public final class Ec2Launch {

  /** How a fleet's instances are waited for: as EC2's instance waiters do. */
  private static final int FLEET_WAIT_ATTEMPTS = 40;
  private static final Duration FLEET_WAIT_DELAY = Duration.ofSeconds(15);

  /** What a launch started. */
  public record Launched(String fleetId, List<LaunchedInstance> instances, List<String> notes, List<FleetError> errors) {
    public Launched {
      instances = List.copyOf(instances);
      notes = List.copyOf(notes);
      errors = List.copyOf(errors);
    }
  }

  private final Ec2Client ec2;
  private final Consumer<String> say;

  /** @param say where progress lines go (stderr) */
  public Ec2Launch(Ec2Client ec2, Consumer<String> say) {
    this.ec2 = ec2;
    this.say = say;
  }

  /** One instance: each attempt in order until one has capacity. One RunInstances call when the first does. */
  public Launched single(LaunchPlan plan) {
    CapacityFallback.Granted<Instance> granted = CapacityFallback.firstGranted(plan.attempts(),
        attempt -> ec2.runInstances(Ec2Requests.runInstances(plan, attempt, false)).instances().get(0), say);
    List<String> notes = granted.refusals().stream().map(r -> "no capacity: " + r).collect(Collectors.toList());
    return new Launched(null, List.of(LaunchedInstance.of(granted.result())), notes, List.of());
  }

  /**
   * Many instances through one instant EC2 Fleet over every type and subnet. The fleet needs a
   * launch template: one is made for this launch and deleted when the fleet has answered (instant
   * fleets do not need it afterwards). With on-demand fallback, what spot could not place is asked
   * for again on demand.
   */
  public Launched fleet(LaunchPlan plan, String launchId) {
    String name = Ec2Requests.fleetTemplateName(plan.project(), launchId);
    String templateId = ec2.createLaunchTemplate(Ec2Requests.createTemplate(name,
        Ec2Requests.templateData(plan, Ec2Requests.TemplateUse.FLEET), plan.tags(), false))
        .launchTemplate().launchTemplateId();
    List<String> ids = new ArrayList<>();
    List<FleetError> errors = new ArrayList<>();
    List<String> notes = new ArrayList<>();
    String fleetId;
    try {
      CreateFleetResponse first = ec2.createFleet(Ec2Requests.createFleet(plan, templateId, plan.market(), plan.count(), false));
      fleetId = first.fleetId();
      collect(first, ids, errors);
      int missing = plan.count() - ids.size();
      if (missing > 0 && plan.onDemandFallback()) {
        String line = "spot placed " + ids.size() + " of " + plan.count() + "; asking for " + missing + " on demand";
        say.accept(line);
        notes.add(line);
        CreateFleetResponse rest = ec2.createFleet(Ec2Requests.createFleet(plan, templateId, Market.onDemand(), missing, false));
        collect(rest, ids, errors);
        notes.add("on-demand fleet " + rest.fleetId());
      }
    } finally {
      try {
        ec2.deleteLaunchTemplate(b -> b.launchTemplateId(templateId));
      } catch (SdkException e) {
        say.accept("could not delete the temporary launch template " + name + " (" + templateId + "): "
            + e.getMessage() + "; delete it by hand");
      }
    }
    return new Launched(fleetId, ids.isEmpty() ? List.of() : describe(ids), notes, errors);
  }

  /**
   * A recovering run: its version of the project's launch template, then the {@code maintain} fleet
   * over it. EC2 starts the instances after the call returns: those it lists at once are reported
   * (DescribeFleetInstances: a fleet of a few instances fits in its first page).
   */
  public Launched recovering(LaunchPlan plan, LaunchTemplates.RunVersion template) {
    String fleetId = ec2.createFleet(Ec2Requests.createRecoveringFleet(plan, template.templateId(),
        Long.toString(template.version()), false)).fleetId();
    List<String> ids = fleetInstanceIds(fleetId);
    return new Launched(fleetId, ids.isEmpty() ? List.of() : describe(ids), List.of(), List.of());
  }

  /**
   * Waits until the fleet has started {@code capacity} instances (an SDK waiter over
   * DescribeFleetInstances, as EC2's own waiters poll: every 15 s, 40 times), then until they run.
   */
  public List<LaunchedInstance> waitForFleet(LaunchPlan plan, String fleetId) {
    int capacity = plan.count();
    Waiter<DescribeFleetInstancesResponse> started = Waiter.builder(DescribeFleetInstancesResponse.class)
        .acceptors(List.of(
            WaiterAcceptor.successOnResponseAcceptor(r -> r.activeInstances().size() >= capacity),
            WaiterAcceptor.retryOnResponseAcceptor(r -> true)))
        .overrideConfiguration(c -> c.maxAttempts(FLEET_WAIT_ATTEMPTS)
            .backoffStrategyV2(BackoffStrategy.fixedDelay(FLEET_WAIT_DELAY)))
        .build();
    try (WaitReporter waiting = WaitReporter.during("EC2 Fleet " + fleetId + " to start " + capacity + " instance"
        + (capacity == 1 ? "" : "s"), say)) {
      started.run(() -> ec2.describeFleetInstances(b -> b.fleetId(fleetId)));
    } catch (Ec2Exception e) {
      throw e; // an AWS answer: the error policy words it
    } catch (SdkException e) {
      throw new AmiException.Failed("EC2 Fleet " + fleetId + " did not start " + capacity + " instance"
          + (capacity == 1 ? "" : "s") + ": " + e.getMessage() + " (its errors: aws ec2 describe-fleets --fleet-ids "
          + fleetId + "); it keeps trying until its ValidUntil: 'ami cancel " + plan.runId() + "' ends it", e);
    }
    return waitRunning(fleetInstanceIds(fleetId));
  }

  private List<String> fleetInstanceIds(String fleetId) {
    return ec2.describeFleetInstances(b -> b.fleetId(fleetId)).activeInstances().stream()
        .map(ActiveInstance::instanceId).sorted().toList();
  }

  private static void collect(CreateFleetResponse response, List<String> ids, List<FleetError> errors) {
    response.instances().stream().map(CreateFleetInstance::instanceIds).forEach(ids::addAll);
    response.errors().stream().map(FleetError::of).forEach(errors::add);
  }

  /** The instances as EC2 describes them now, in the order of {@code ids}. */
  public List<LaunchedInstance> describe(List<String> ids) {
    return inOrder(ids, ec2.describeInstancesPaginator(b -> b.instanceIds(ids)).reservations().stream()
        .flatMap(r -> r.instances().stream()).toList());
  }

  /** Waits (SDK waiter) until every instance runs; returns them with their addresses. */
  public List<LaunchedInstance> waitRunning(List<String> ids) {
    WaiterResponse<DescribeInstancesResponse> done;
    try (WaitReporter waiting = WaitReporter.during(String.join(", ", ids) + " to be running", say)) {
      done = ec2.waiter().waitUntilInstanceRunning(b -> b.instanceIds(ids));
    } catch (Ec2Exception e) {
      throw e; // an AWS answer: the error policy words it
    } catch (SdkException e) {
      throw new AmiException.Failed("instances " + String.join(", ", ids) + " did not reach running: "
          + e.getMessage() + " (see the instances' state reason in the EC2 console)", e);
    }
    return done.matched().response()
        .map(r -> inOrder(ids, r.reservations().stream().flatMap(res -> res.instances().stream()).toList()))
        .orElseGet(() -> describe(ids));
  }

  /** Creates the cluster placement group unless it exists; distributed training reuses one group. */
  public void ensurePlacementGroup(String name) {
    try {
      ec2.describePlacementGroups(b -> b.groupNames(name));
      return;
    } catch (Ec2Exception e) {
      if (e.awsErrorDetails() == null || !"InvalidPlacementGroup.Unknown".equals(e.awsErrorDetails().errorCode())) {
        throw e;
      }
    }
    try {
      ec2.createPlacementGroup(b -> b.groupName(name).strategy(PlacementStrategy.CLUSTER));
      say.accept("created cluster placement group " + name);
    } catch (Ec2Exception e) {
      // Another launch made it between our look and our create: use theirs.
      if (e.awsErrorDetails() == null || !"InvalidPlacementGroup.Duplicate".equals(e.awsErrorDetails().errorCode())) {
        throw e;
      }
    }
  }

  private static List<LaunchedInstance> inOrder(List<String> ids, List<Instance> instances) {
    Map<String, Instance> byId = instances.stream().collect(Collectors.toMap(Instance::instanceId, Function.identity()));
    return ids.stream().filter(byId::containsKey).map(byId::get).map(LaunchedInstance::of).toList();
  }
}
