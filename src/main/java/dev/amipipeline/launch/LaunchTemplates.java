package dev.amipipeline.launch;

import dev.amipipeline.aws.AwsErrors;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.CreateFleetRequest;
import software.amazon.awssdk.services.ec2.model.CreateLaunchTemplateRequest;
import software.amazon.awssdk.services.ec2.model.CreateLaunchTemplateVersionRequest;
import software.amazon.awssdk.services.ec2.model.Ec2Exception;
import software.amazon.awssdk.services.ec2.model.LaunchTemplate;
import software.amazon.awssdk.services.ec2.model.RequestLaunchTemplateData;

/**
 * The edge for the project's own launch template {@code ami-pipeline-<project>}: created on first
 * use, then one new version per call, made the default so the console, Auto Scaling groups and other
 * tools get it without naming a version. A recovering run gets a version of its own, which is never
 * made the default.
 */
public final class LaunchTemplates {

  /** A version of the project's template made for one run; {@code created}: the template was made for it. */
  public record RunVersion(String templateName, String templateId, long version, boolean created) {}

  /** How a dry run names what does not exist yet. */
  static final String TEMPLATE_ABOVE = "<the template above>";
  static final String VERSION_ABOVE = "<the version above>";

  private final Ec2Client ec2;

  public LaunchTemplates(Ec2Client ec2) {
    this.ec2 = ec2;
  }

  public TemplateReport createOrUpdate(LaunchPlan plan) {
    String name = Ec2Requests.templateName(plan.project());
    RequestLaunchTemplateData data = Ec2Requests.templateData(plan, Ec2Requests.TemplateUse.STANDALONE);
    Optional<LaunchTemplate> existing = find(name);
    if (existing.isEmpty()) {
      Optional<LaunchTemplate> made = createUnlessMadeMeanwhile(plan);
      if (made.isPresent()) {
        return report(plan, made.get().launchTemplateId(), made.get().latestVersionNumber(), true, data);
      }
      existing = find(name);
    }
    String id = existing.orElseThrow().launchTemplateId();
    long version = ec2.createLaunchTemplateVersion(Ec2Requests.createTemplateVersion(id, data, false))
        .launchTemplateVersion().versionNumber();
    ec2.modifyLaunchTemplate(b -> b.launchTemplateId(id).defaultVersion(Long.toString(version)));
    return report(plan, id, version, false, data);
  }

  /**
   * A recovering run's version of the project's template: the template is created first when missing
   * (as {@code --template-only} makes it, from this launch without its run); the default version stays.
   */
  public RunVersion runVersion(LaunchPlan plan) {
    String name = Ec2Requests.templateName(plan.project());
    Optional<LaunchTemplate> existing = find(name);
    String id = existing.isPresent() ? existing.get().launchTemplateId() : createOrFind(plan.shared());
    long version = ec2.createLaunchTemplateVersion(Ec2Requests.createRunTemplateVersion(id, plan, false))
        .launchTemplateVersion().versionNumber();
    return new RunVersion(name, id, version, existing.isEmpty());
  }

  /**
   * What {@link #runVersion} and the fleet after it would send, each checked with DryRun where what it
   * names exists: without the template, only its creation is checked; with it, the version and the
   * fleet (naming the template's latest version, the run's own being made only by the launch).
   */
  public List<DryRunReport.CheckedRequest> dryRunRecovering(LaunchPlan plan, List<String> notes) {
    String name = Ec2Requests.templateName(plan.project());
    Optional<LaunchTemplate> existing = find(name);
    List<DryRunReport.CheckedRequest> requests = new ArrayList<>();
    if (existing.isEmpty()) {
      LaunchPlan shared = plan.shared();
      CreateLaunchTemplateRequest create = Ec2Requests.createTemplate(name,
          Ec2Requests.templateData(shared, Ec2Requests.TemplateUse.STANDALONE), shared.tags(), true);
      requests.add(new DryRunReport.CheckedRequest("CreateLaunchTemplate", RequestView.of(create),
          DryRun.check(() -> ec2.createLaunchTemplate(create))));
      requests.add(new DryRunReport.CheckedRequest("CreateLaunchTemplateVersion",
          RequestView.of(Ec2Requests.createRunTemplateVersion(TEMPLATE_ABOVE, plan, true)), null));
      requests.add(new DryRunReport.CheckedRequest("CreateFleet", fleetView(plan, TEMPLATE_ABOVE), null));
      notes.add("the project's launch template " + name + " does not exist yet: it is made first (as --template-only"
          + " makes it), so the run's version and the fleet naming it are not sent");
      return requests;
    }
    String id = existing.get().launchTemplateId();
    CreateLaunchTemplateVersionRequest version = Ec2Requests.createRunTemplateVersion(id, plan, true);
    requests.add(new DryRunReport.CheckedRequest("CreateLaunchTemplateVersion", RequestView.of(version),
        DryRun.check(() -> ec2.createLaunchTemplateVersion(version))));
    long latest = existing.get().latestVersionNumber();
    CreateFleetRequest check = Ec2Requests.createRecoveringFleet(plan, id, Long.toString(latest), true);
    requests.add(new DryRunReport.CheckedRequest("CreateFleet", fleetView(plan, id),
        DryRun.check(() -> ec2.createFleet(check)) + " (checked naming version " + latest + " of " + name
            + ", which exists; the launch names the run's new version)"));
    return requests;
  }

  /** The fleet request as it will be sent, naming the run's version made just before it. */
  private static Map<String, Object> fleetView(LaunchPlan plan, String templateId) {
    return RequestView.of(Ec2Requests.createRecoveringFleet(plan, templateId, VERSION_ABOVE, true));
  }

  /** What {@link #createOrUpdate} would send first, checked with DryRun. */
  public DryRunReport.CheckedRequest dryRun(LaunchPlan plan) {
    String name = Ec2Requests.templateName(plan.project());
    RequestLaunchTemplateData data = Ec2Requests.templateData(plan, Ec2Requests.TemplateUse.STANDALONE);
    Optional<LaunchTemplate> existing = find(name);
    if (existing.isEmpty()) {
      CreateLaunchTemplateRequest create = Ec2Requests.createTemplate(name, data, plan.tags(), true);
      return new DryRunReport.CheckedRequest("CreateLaunchTemplate", RequestView.of(create),
          DryRun.check(() -> ec2.createLaunchTemplate(create)));
    }
    CreateLaunchTemplateVersionRequest version =
        Ec2Requests.createTemplateVersion(existing.get().launchTemplateId(), data, true);
    return new DryRunReport.CheckedRequest("CreateLaunchTemplateVersion", RequestView.of(version),
        DryRun.check(() -> ec2.createLaunchTemplateVersion(version)));
  }

  public Optional<LaunchTemplate> find(String name) {
    try {
      return ec2.describeLaunchTemplates(b -> b.launchTemplateNames(name)).launchTemplates().stream().findFirst();
    } catch (Ec2Exception e) {
      if ("InvalidLaunchTemplateName.NotFoundException".equals(AwsErrors.code(e))) {
        return Optional.empty();
      }
      throw e;
    }
  }

  /** The project's template made now, or the one another launch made just before (their versions differ). */
  private String createOrFind(LaunchPlan shared) {
    return createUnlessMadeMeanwhile(shared)
        .or(() -> find(Ec2Requests.templateName(shared.project())))
        .orElseThrow().launchTemplateId();
  }

  /**
   * The project's template, made from {@code plan} (whose tags it carries as the template's own); empty
   * when another launch of the project made it between our look and our create (two launches at once).
   */
  private Optional<LaunchTemplate> createUnlessMadeMeanwhile(LaunchPlan plan) {
    try {
      return Optional.of(ec2.createLaunchTemplate(Ec2Requests.createTemplate(Ec2Requests.templateName(plan.project()),
          Ec2Requests.templateData(plan, Ec2Requests.TemplateUse.STANDALONE), plan.tags(), false)).launchTemplate());
    } catch (Ec2Exception e) {
      if ("InvalidLaunchTemplateName.AlreadyExistsException".equals(AwsErrors.code(e))) {
        return Optional.empty();
      }
      throw e;
    }
  }

  private static TemplateReport report(LaunchPlan plan, String id, long version, boolean created,
      RequestLaunchTemplateData data) {
    return new TemplateReport(plan.project(), Ec2Requests.templateName(plan.project()), id, version, created,
        data.imageId(), plan.amiId());
  }
}
