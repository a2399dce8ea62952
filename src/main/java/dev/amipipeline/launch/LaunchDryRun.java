package dev.amipipeline.launch;

import dev.amipipeline.common.TextTable;
import java.util.ArrayList;
import java.util.List;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.CreateFleetRequest;
import software.amazon.awssdk.services.ec2.model.CreateLaunchTemplateRequest;
import software.amazon.awssdk.services.ec2.model.RunInstancesRequest;

/**
 * {@code --dry-run}: the exact requests a launch would send, each mutating one checked by EC2 with
 * DryRun=true (permissions and parameters, nothing created). Requests that depend on an earlier one's
 * result are printed but not sent.
 */
public final class LaunchDryRun {

  private final Ec2Client ec2;

  public LaunchDryRun(Ec2Client ec2) {
    this.ec2 = ec2;
  }

  public DryRunReport check(LaunchPlan plan, boolean templateOnly) {
    List<DryRunReport.CheckedRequest> requests = new ArrayList<>();
    List<String> notes = new ArrayList<>();
    if (templateOnly) {
      requests.add(new LaunchTemplates(ec2).dryRun(plan));
    } else if (plan.recovers()) {
      requests.addAll(new LaunchTemplates(ec2).dryRunRecovering(plan, notes));
      Recovery r = plan.recovery();
      notes.add("cost ceiling: " + TextTable.iso(r.validUntil()) + " (" + r.ceiling() + "): the fleet's ValidUntil;"
          + " EC2 launches nothing for this run after it and ends what still runs");
    } else if (plan.fleet()) {
      CreateLaunchTemplateRequest template = Ec2Requests.createTemplate(
          Ec2Requests.fleetTemplateName(plan.project(), "<launch-id>"),
          Ec2Requests.templateData(plan, Ec2Requests.TemplateUse.FLEET), plan.tags(), true);
      requests.add(new DryRunReport.CheckedRequest("CreateLaunchTemplate", RequestView.of(template),
          DryRun.check(() -> ec2.createLaunchTemplate(template))));
      CreateFleetRequest fleet = Ec2Requests.createFleet(plan, "<the template above>", plan.market(), plan.count(), true);
      requests.add(new DryRunReport.CheckedRequest("CreateFleet", RequestView.of(fleet), null));
      notes.add("the fleet's launch template exists only during the launch, so CreateFleet is not sent");
      if (plan.onDemandFallback()) {
        notes.add("what spot cannot place is asked for again on demand in a second fleet");
      }
    } else {
      List<LaunchPlan.Attempt> attempts = plan.attempts();
      RunInstancesRequest run = Ec2Requests.runInstances(plan, attempts.get(0), true);
      requests.add(new DryRunReport.CheckedRequest("RunInstances", RequestView.of(run),
          DryRun.check(() -> ec2.runInstances(run))));
      if (attempts.size() > 1) {
        notes.add("without capacity, then tried in order: "
            + String.join(", ", attempts.subList(1, attempts.size()).stream().map(Object::toString).toList()));
      }
    }
    if (plan.placementGroup() != null && !templateOnly) {
      notes.add("cluster placement group " + plan.placementGroup() + " is created first unless it exists");
    }
    return new DryRunReport(plan.runId(), plan.project(), plan.amiId(), requests, notes);
  }
}
