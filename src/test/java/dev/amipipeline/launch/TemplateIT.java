package dev.amipipeline.launch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.amipipeline.testing.Cli;
import dev.amipipeline.testing.MotoServer;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import software.amazon.awssdk.services.ec2.model.LaunchTemplate;
import software.amazon.awssdk.services.ec2.model.LaunchTemplateVersion;
import software.amazon.awssdk.services.ec2.model.ResourceType;

class TemplateIT extends EmulatedAws {


  @Test
  void templateOnlyTwiceMakesVersionOneThenVersionTwoOfOneTemplate(MotoServer moto) {
    String ami = Bakes.bake(aws, "demo");

    Cli.Result first = Cli.run(moto, "launch", "--project", "demo", "--template-only");
    Cli.Result second = Cli.run(moto, "launch", "--project", "demo", "--template-only", "--instance-type", "m5.large");

    assertThat(first.exitCode()).as(first.err()).isZero();
    assertThat(second.exitCode()).as(second.err()).isZero();
    LaunchTemplate template = aws.ec2().describeLaunchTemplates().launchTemplates().stream().filter(t -> true)
        .reduce((a, b) -> {
          throw new AssertionError("more than one launch template: " + a + ", " + b);
        }).orElseThrow();
    assertThat(template.launchTemplateName()).isEqualTo("ami-pipeline-demo");
    assertThat(first.out()).contains("ami-pipeline-demo " + template.launchTemplateId() + " version 1",
        "resolve:ssm:/ami-pipeline/demo/ami-id (now " + ami + ")");
    assertThat(second.out()).contains("ami-pipeline-demo " + template.launchTemplateId() + " version 2");
    assertThat(template.latestVersionNumber()).isEqualTo(2);
    assertThat(template.defaultVersionNumber()).isEqualTo(2);
    assertThat(Bakes.instances(aws)).isEmpty();

    LaunchTemplateVersion v2 = aws.ec2().describeLaunchTemplateVersions(b -> b
        .launchTemplateId(template.launchTemplateId()).versions("2")).launchTemplateVersions().get(0);
    assertThat(v2.launchTemplateData().imageId()).isEqualTo("resolve:ssm:/ami-pipeline/demo/ami-id");
    assertThat(v2.launchTemplateData().instanceTypeAsString()).isEqualTo("m5.large");
    assertThat(new String(Base64.getDecoder().decode(v2.launchTemplateData().userData()), StandardCharsets.UTF_8))
        .isEqualTo("AMI_PROJECT=demo\n");
    assertThat(v2.launchTemplateData().instanceInitiatedShutdownBehaviorAsString()).isEqualTo("terminate");
    assertThat(v2.launchTemplateData().tagSpecifications()).anySatisfy(spec -> {
      assertThat(spec.resourceType()).isEqualTo(ResourceType.INSTANCE);
      assertThat(spec.tags()).contains(LaunchIT.tag("ami-pipeline:project", "demo"));
    });
    // Instances started from the shared template are runs of their own (run id = instance id).
    assertThat(v2.launchTemplateData().tagSpecifications()).allSatisfy(spec -> assertThat(spec.tags())
        .noneMatch(t -> t.key().equals("ami-pipeline:run")));
    assertThat(first.out() + second.out()).doesNotContain("run ", "next:");
  }

  /**
   * Two launches of one project at once: the other one makes the project's template between this
   * launch's look (none yet) and its create. This launch adds its version to that template instead of
   * failing with AlreadyExists (seen when a recovering run and {@code --template-only} started together).
   */
  @ParameterizedTest
  @ValueSource(strings = {"--template-only", "--recover"})
  void aTemplateMadeByAnotherLaunchMeanwhileGetsThisLaunchsVersion(String flag, MotoServer moto) {
    String ami = Bakes.bake(aws, "demo");
    AwsCallHook.beforeNext("Ec2:CreateLaunchTemplate", () -> aws.ec2().createLaunchTemplate(b -> b
        .launchTemplateName("ami-pipeline-demo").launchTemplateData(d -> d.imageId(ami))));

    Cli.Result r = Cli.run(moto, "launch", "--project", "demo", "--spot", flag);

    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(aws.ec2().describeLaunchTemplates().launchTemplates()).singleElement().satisfies(t -> {
      assertThat(t.launchTemplateName()).isEqualTo("ami-pipeline-demo");
      assertThat(t.latestVersionNumber()).as("the other launch's version 1, then ours").isEqualTo(2);
    });
    assertThat(aws.ec2().describeLaunchTemplateVersions(b -> b.launchTemplateName("ami-pipeline-demo"))
        .launchTemplateVersions()).extracting(v -> v.versionNumber(), v -> v.launchTemplateData().imageId())
        .containsExactlyInAnyOrder(tuple(1L, ami), tuple(2L, "resolve:ssm:/ami-pipeline/demo/ami-id"));
  }

  @Test
  void templateOnlyWithoutABakeIsExitTwoAndCreatesNoTemplate(MotoServer moto) {
    Cli.Result r = Cli.run(moto, "launch", "--project", "demo", "--template-only");

    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.errLines()).singleElement().asString().contains("ami bake --project demo");
    assertThat(aws.ec2().describeLaunchTemplates().launchTemplates()).isEmpty();
  }

  @Test
  void templateOnlyDryRunChecksTheCreateAndCreatesNothing(MotoServer moto) {
    Bakes.bake(aws, "demo");

    Cli.Result r = Cli.run(moto, "launch", "--project", "demo", "--template-only", "--dry-run");

    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.out()).contains("CreateLaunchTemplate -> DryRunOperation",
        "\"ImageId\" : \"resolve:ssm:/ami-pipeline/demo/ami-id\"", "\"LaunchTemplateName\" : \"ami-pipeline-demo\"");
    assertThat(aws.ec2().describeLaunchTemplates().launchTemplates()).isEmpty();
  }
}
