package dev.amipipeline.launcher;

import dev.amipipeline.aws.AwsClients;
import dev.amipipeline.testing.Ec2Seed;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.services.ec2.model.DefaultTargetCapacityType;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.FleetType;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.ResourceType;
import software.amazon.awssdk.services.ec2.model.Tag;
import software.amazon.awssdk.services.ec2.model.TagSpecification;

/**
 * A recovering run's fleet as the emulator keeps it: a {@code maintain} fleet tagged with the
 * project and the run, over a launch template whose instance tags carry the run (as the launch
 * template version of {@code ami launch --recover} does; EC2 takes no instance tags in CreateFleet
 * for maintain fleets), and the instances moto started for it. moto starts a maintain fleet's first
 * instances and never replaces one.
 */
record RunFleet(String fleetId, List<Instance> instances) {

  /**
   * A fleet of {@code capacity} on-demand t3.micro instances of run {@code runId}, whose instances
   * also get {@code instanceTags}.
   */
  static RunFleet create(AwsClients aws, String runId, int capacity, Map<String, String> instanceTags) {
    String image = new Ec2Seed(aws.ec2()).bakedImage("demo", "demo-" + runId, 1).amiId();
    List<Tag> tags = new ArrayList<>(List.of(Ec2Seed.tag("ami-pipeline:project", "demo"),
        Ec2Seed.tag("ami-pipeline:run", runId)));
    instanceTags.forEach((k, v) -> tags.add(Ec2Seed.tag(k, v)));
    String template = aws.ec2().createLaunchTemplate(b -> b.launchTemplateName("ami-pipeline-demo-" + runId)
        .launchTemplateData(d -> d.imageId(image).instanceType("t3.micro")
            .tagSpecifications(t -> t.resourceType(ResourceType.INSTANCE).tags(tags))))
        .launchTemplate().launchTemplateId();
    String fleet = aws.ec2().createFleet(b -> b.type(FleetType.MAINTAIN)
        .targetCapacitySpecification(c -> c.totalTargetCapacity(capacity).onDemandTargetCapacity(capacity)
            .defaultTargetCapacityType(DefaultTargetCapacityType.ON_DEMAND))
        .launchTemplateConfigs(c -> c.launchTemplateSpecification(s -> s.launchTemplateId(template).version("1")))
        .tagSpecifications(TagSpecification.builder().resourceType(ResourceType.FLEET)
            .tags(Ec2Seed.tag("ami-pipeline:project", "demo"), Ec2Seed.tag("ami-pipeline:run", runId),
                Ec2Seed.tag("Name", "demo-" + runId)).build()))
        .fleetId();
    return new RunFleet(fleet, instancesOf(aws, runId));
  }

  /** The run's instances, in any state. */
  static List<Instance> instancesOf(AwsClients aws, String runId) {
    return aws.ec2().describeInstancesPaginator(b -> b.filters(Filter.builder().name("tag:ami-pipeline:run")
        .values(runId).build())).reservations().stream().flatMap(r -> r.instances().stream()).toList();
  }

  Instance instance() {
    return instances.get(0);
  }

  /** The fleet's state: active; deleted_running once deleted with its instances left running. */
  String state(AwsClients aws) {
    return aws.ec2().describeFleets(b -> b.fleetIds(fleetId)).fleets().get(0).fleetStateAsString();
  }
}
