package dev.amipipeline.launch;

import java.util.Optional;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.CreateLaunchTemplateRequest;
import software.amazon.awssdk.services.ec2.model.CreateLaunchTemplateVersionRequest;
import software.amazon.awssdk.services.ec2.model.Ec2Exception;
import software.amazon.awssdk.services.ec2.model.LaunchTemplate;
import software.amazon.awssdk.services.ec2.model.RequestLaunchTemplateData;

/**
 * The edge for the project's own launch template {@code ami-pipeline-<project>}: created on first
 * use, then one new version per call, made the default so the console, Auto Scaling groups and other
 * tools get it without naming a version.
 */
public final class LaunchTemplates {

  private final Ec2Client ec2;

  public LaunchTemplates(Ec2Client ec2) {
    this.ec2 = ec2;
  }

  public TemplateReport createOrUpdate(LaunchPlan plan) {
    String name = Ec2Requests.templateName(plan.project());
    RequestLaunchTemplateData data = Ec2Requests.templateData(plan, Ec2Requests.TemplateUse.STANDALONE);
    Optional<LaunchTemplate> existing = find(name);
    if (existing.isEmpty()) {
      LaunchTemplate made = ec2.createLaunchTemplate(Ec2Requests.createTemplate(name, data, plan.tags(), false))
          .launchTemplate();
      return report(plan, made.launchTemplateId(), made.latestVersionNumber(), true, data);
    }
    String id = existing.get().launchTemplateId();
    long version = ec2.createLaunchTemplateVersion(Ec2Requests.createTemplateVersion(id, data, false))
        .launchTemplateVersion().versionNumber();
    ec2.modifyLaunchTemplate(b -> b.launchTemplateId(id).defaultVersion(Long.toString(version)));
    return report(plan, id, version, false, data);
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
      if (e.awsErrorDetails() != null
          && "InvalidLaunchTemplateName.NotFoundException".equals(e.awsErrorDetails().errorCode())) {
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
