package dev.amipipeline.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.amipipeline.testing.IamUsers;
import dev.amipipeline.testing.Shell;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The resource scoping of scripts/iam/, checked on the documents: moto enforces actions for every
 * service but compares resources only for S3 (see IamUsers), so which parameters and roles a policy
 * reaches is read here with IAM's own matching rules (case-insensitive actions; {@code *} and
 * {@code ?} wildcards in both). Conditions are not evaluated: the tests check they are there.
 */
class PolicyDocumentTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Map<String, String> DEMO =
      Map.of("PROJECT", "demo", "LOG_BUCKET", "ml-logs", "LOG_PREFIX", "runs", "ACCOUNT_ID", "123456789012");
  private static final String SSM = "arn:aws:ssm:us-east-1:123456789012:parameter";

  /** The Allow statements of a policy document. */
  private record Policy(List<JsonNode> statements) {
    static Policy of(String role) throws IOException {
      JsonNode doc = JSON.readTree(IamUsers.policy(role, DEMO));
      List<JsonNode> statements = new ArrayList<>();
      doc.path("Statement").forEach(statements::add);
      return new Policy(statements);
    }

    boolean allows(String action, String resource) {
      return statements.stream().anyMatch(s -> "Allow".equals(s.path("Effect").asText())
          && values(s.path("Action")).anyMatch(a -> matches(a, action, true))
          && values(s.path("Resource")).anyMatch(r -> matches(r, resource, false)));
    }

    /** The values a condition {@code operator key} of the statements that allow {@code action} takes. */
    List<String> conditionValues(String action, String operator, String key) {
      return statements.stream().filter(s -> values(s.path("Action")).anyMatch(a -> matches(a, action, true)))
          .flatMap(s -> values(s.path("Condition").path(operator).path(key))).toList();
    }

    /** The condition keys of the statements that allow {@code action}. */
    List<String> conditionsOn(String action) {
      return statements.stream().filter(s -> values(s.path("Action")).anyMatch(a -> matches(a, action, true)))
          .flatMap(s -> {
            List<String> keys = new ArrayList<>();
            s.path("Condition").fields().forEachRemaining(op -> op.getValue().fieldNames()
                .forEachRemaining(k -> keys.add(op.getKey() + " " + k)));
            return keys.stream();
          }).toList();
    }

    /** The values of condition {@code key} in the statements that allow {@code action}. */
    List<String> conditionValues(String action, String key) {
      return statements.stream().filter(s -> values(s.path("Action")).anyMatch(a -> matches(a, action, true)))
          .flatMap(s -> {
            List<String> found = new ArrayList<>();
            s.path("Condition").forEach(op -> values(op.path(key)).forEach(found::add));
            return found.stream();
          }).toList();
    }

    /** Whether a StringLike pattern matches {@code value}, by IAM's rules. */
    static boolean like(String pattern, String value) {
      return matches(pattern, value, false);
    }

    private static Stream<String> values(JsonNode node) {
      List<String> list = new ArrayList<>();
      if (node.isArray()) {
        node.forEach(n -> list.add(n.asText()));
      } else if (!node.isMissingNode()) {
        list.add(node.asText());
      }
      return list.stream();
    }

    private static boolean matches(String pattern, String value, boolean ignoreCase) {
      String regex = Pattern.quote(pattern).replace("*", "\\E.*\\Q").replace("?", "\\E.\\Q");
      return Pattern.compile(regex, ignoreCase ? Pattern.CASE_INSENSITIVE : 0).matcher(value).matches();
    }
  }

  @Test
  void everyDocumentIsAPolicyOfNamedAllowStatementsWithItsPlaceholdersFilled() throws IOException {
    try (Stream<Path> files = Files.list(Shell.REPO.resolve("scripts/iam"))) {
      List<Path> policies = files.filter(f -> f.toString().endsWith(".json")).sorted().toList();
      assertThat(policies).extracting(p -> p.getFileName().toString())
          .contains("bake.json", "launch.json", "prune.json", "instance.json", "runs.json");
      for (Path p : policies) {
        String role = p.getFileName().toString().replace(".json", "");
        String text = IamUsers.policy(role, DEMO);
        JsonNode doc = JSON.readTree(text);
        assertThat(doc.path("Version").asText()).as(role).isEqualTo("2012-10-17");
        assertThat(doc.path("Statement")).as(role).isNotEmpty().allSatisfy(s -> {
          assertThat(s.path("Sid").asText()).as(role).matches("[A-Za-z0-9]+");
          assertThat(s.path("Effect").asText()).as(role).isEqualTo("Allow");
        });
        assertThat(text).as(role + ": every placeholder is one of the documented ones")
            .doesNotContain("PROJECT", "LOG_BUCKET", "LOG_PREFIX", "ACCOUNT_ID");
      }
    }
  }

  @Test
  void theInstanceRoleReadsOnlyItsProjectsParametersAndWritesOnlyUnderItsLogPrefix() throws IOException {
    Policy instance = Policy.of("instance");

    assertThat(instance.allows("ssm:GetParameter", SSM + "/ami-pipeline/demo/run")).isTrue();
    assertThat(instance.allows("ssm:GetParameter", SSM + "/ami-pipeline/demo/secrets/token")).isTrue();
    assertThat(instance.allows("ssm:GetParameter", SSM + "/ami-pipeline/ml/run")).as("another project's").isFalse();
    assertThat(instance.allows("ssm:GetParameter", SSM + "/ami-pipeline/demo-old/run")).as("a longer name").isFalse();
    assertThat(instance.allows("ssm:GetParameter", SSM + "/prod/db/password")).isFalse();
    assertThat(instance.allows("s3:PutObject", "arn:aws:s3:::ml-logs/runs/demo/i-0abc/job.log")).isTrue();
    assertThat(instance.allows("s3:PutObject", "arn:aws:s3:::ml-logs/runs/ml/i-0abc/job.log")).isFalse();
    assertThat(instance.allows("s3:PutObject", "arn:aws:s3:::other-bucket/runs/demo/x")).isFalse();
    assertThat(Stream.of("ssm:PutParameter", "ssm:GetParametersByPath", "s3:DeleteObject",
            "ec2:TerminateInstances", "ec2:RunInstances", "ec2:CreateFleet", "ec2:CreateTags", "iam:PassRole"))
        .noneMatch(a -> instance.allows(a, "*") || instance.allows(a, SSM + "/ami-pipeline/demo/run")
            || instance.allows(a, "arn:aws:s3:::ml-logs/runs/demo/x"));
    assertThat(instance.conditionsOn("kms:Decrypt")).containsExactly("StringLike kms:ViaService");
  }

  /**
   * What first-boot reads and lists of a run: exit statuses of earlier attempts, the checkpoint,
   * run.json (GetObject), and the run's folder and its checkpoint/ (ListObjectsV2, whose prefix
   * parameter IAM compares with s3:prefix). moto evaluates no s3:prefix condition: checked here.
   */
  @Test
  void theInstanceRoleReadsAndListsOnlyUnderItsProjectsLogPrefix() throws IOException {
    Policy instance = Policy.of("instance");
    String run = "runs/demo/demo-20261202-101500-3fa9/";

    assertThat(instance.allows("s3:GetObject", "arn:aws:s3:::ml-logs/" + run + "i-0abc/exit-status.json")).isTrue();
    assertThat(instance.allows("s3:GetObject", "arn:aws:s3:::ml-logs/" + run + "checkpoint/model.pt")).isTrue();
    assertThat(instance.allows("s3:GetObject", "arn:aws:s3:::ml-logs/runs/ml/x/checkpoint/model.pt"))
        .as("another project's checkpoint").isFalse();
    assertThat(instance.allows("s3:GetObject", "arn:aws:s3:::other-bucket/" + run + "run.json")).isFalse();

    assertThat(instance.allows("s3:ListBucket", "arn:aws:s3:::ml-logs")).isTrue();
    assertThat(instance.allows("s3:ListBucket", "arn:aws:s3:::other-bucket")).isFalse();
    assertThat(instance.conditionsOn("s3:ListBucket")).containsExactly("StringLike s3:prefix");
    List<String> prefixes = instance.conditionValues("s3:ListBucket", "s3:prefix");
    assertThat(prefixes).containsExactly("runs/demo/*");
    for (String listed : List.of(run, run + "checkpoint/", "runs/demo/i-0abc/")) {
      assertThat(prefixes).as(listed).anyMatch(p -> Policy.like(p, listed));
    }
    for (String other : List.of("", "runs/", "runs/ml/", "runs/demo-old/", "other/runs/demo/")) {
      assertThat(prefixes).as("'" + other + "'").noneMatch(p -> Policy.like(p, other));
    }
  }

  /**
   * What first-boot asks of EC2: the run's instances (the nodes of a multi-node run, earlier
   * attempts), the instance type's GPUs and the fleets (DescribeFleets), none of which IAM can scope
   * to resources; and the deletion of its run's fleet or its switch to on-demand, only for fleets
   * tagged with its project. moto evaluates no conditions: checked here.
   */
  @Test
  void theInstanceRoleDescribesAndDeletesOrModifiesOnlyItsProjectsFleets() throws IOException {
    Policy instance = Policy.of("instance");
    String fleet = "arn:aws:ec2:us-east-1:123456789012:fleet/fleet-6cf77679-2fc5-8cba-ec91-d681590a51df";

    for (String describe : List.of("ec2:DescribeInstances", "ec2:DescribeInstanceTypes", "ec2:DescribeFleets")) {
      assertThat(instance.allows(describe, "*")).as(describe).isTrue();
      assertThat(instance.conditionsOn(describe)).as(describe).isEmpty();
    }
    for (String change : List.of("ec2:DeleteFleets", "ec2:ModifyFleet")) {
      assertThat(instance.allows(change, fleet)).as(change).isTrue();
      assertThat(instance.allows(change, "*")).as(change + " beyond fleets").isFalse();
      assertThat(instance.allows(change, "arn:aws:ec2:us-east-1:123456789012:instance/i-0abc")).isFalse();
      assertThat(instance.conditionsOn(change)).as(change).containsExactly(
          "StringEquals aws:ResourceTag/ami-pipeline:project");
      assertThat(instance.conditionValues(change, "StringEquals", "aws:ResourceTag/ami-pipeline:project"))
          .as(change).containsExactly("demo");
    }
    assertThat(Stream.of("ec2:CreateFleet", "ec2:RunInstances", "ec2:TerminateInstances", "ec2:StopInstances",
        "ec2:CreateTags", "ec2:DeleteLaunchTemplate")).noneMatch(a -> instance.allows(a, "*") || instance.allows(a, fleet));
  }

  @Test
  void pruneDeletesOnlyTaggedImagesAndSnapshotsAndEndsOnlyBuildersAndStartsNothing() throws IOException {
    Policy prune = Policy.of("prune");

    assertThat(prune.allows("ec2:DeregisterImage", "arn:aws:ec2:us-east-1::image/ami-0abc")).isTrue();
    assertThat(prune.conditionsOn("ec2:DeregisterImage")).containsExactly("Null ec2:ResourceTag/ami-pipeline:project");
    assertThat(prune.conditionsOn("ec2:DeleteSnapshot")).containsExactly("Null ec2:ResourceTag/ami-pipeline:project");
    assertThat(prune.conditionsOn("ec2:TerminateInstances")).containsExactly("Null ec2:ResourceTag/ami-pipeline:builder");
    assertThat(Stream.of("ec2:RunInstances", "ec2:CreateFleet", "ec2:CreateImage", "ssm:PutParameter",
        "ssm:DeleteParameter", "iam:PassRole")).noneMatch(a -> prune.allows(a, "*"));
  }

  /**
   * A leaked fleet (its run ended, the fleet still active) is deleted only when it carries the
   * project tag; whether its run ended is read from the run's results, under the log prefix only.
   */
  @Test
  void pruneDeletesOnlyTaggedFleetsAndReadsOnlyTheResults() throws IOException {
    Policy prune = Policy.of("prune");
    String fleet = "arn:aws:ec2:us-east-1:123456789012:fleet/fleet-0abc1234";

    assertThat(prune.allows("ec2:DescribeFleets", "*")).isTrue();
    assertThat(prune.allows("ec2:DeleteFleets", fleet)).isTrue();
    assertThat(prune.allows("ec2:DeleteFleets", "arn:aws:ec2:us-east-1:123456789012:instance/i-0abc")).isFalse();
    assertThat(prune.conditionsOn("ec2:DeleteFleets")).containsExactly("Null ec2:ResourceTag/ami-pipeline:project");
    assertThat(prune.allows("s3:GetObject", "arn:aws:s3:::ml-logs/runs/demo/demo-20261202-101500-3fa9/run.json"))
        .isTrue();
    assertThat(prune.allows("s3:GetObject", "arn:aws:s3:::ml-logs/private/x")).as("outside the log prefix").isFalse();
    assertThat(prune.conditionValues("s3:ListBucket", "StringLike", "s3:prefix")).containsExactly("runs/*");
    assertThat(Stream.of("s3:PutObject", "s3:DeleteObject", "ec2:ModifyFleet", "ec2:CreateFleet"))
        .noneMatch(a -> prune.allows(a, "*") || prune.allows(a, fleet) || prune.allows(a, "arn:aws:s3:::ml-logs/runs/x"));
  }

  @Test
  void bakeWritesParametersOnlyUnderThePrefixAndPassesNoRole() throws IOException {
    Policy bake = Policy.of("bake");

    assertThat(bake.allows("ssm:PutParameter", SSM + "/ami-pipeline/demo/ami-id")).isTrue();
    assertThat(bake.allows("ssm:DeleteParameter", SSM + "/ami-pipeline/demo/bake-lock")).isTrue();
    assertThat(bake.allows("ssm:PutParameter", SSM + "/prod/db/password")).isFalse();
    assertThat(bake.allows("iam:PassRole", "arn:aws:iam::123456789012:role/admin")).isFalse();
  }

  @Test
  void launchPassesOnlyThePipelinesRolesAndOnlyToEc2() throws IOException {
    Policy launch = Policy.of("launch");

    assertThat(launch.allows("iam:PassRole", "arn:aws:iam::123456789012:role/ami-pipeline-ml")).isTrue();
    assertThat(launch.allows("iam:PassRole", "arn:aws:iam::123456789012:role/admin")).isFalse();
    assertThat(launch.conditionsOn("iam:PassRole")).containsExactly("StringEquals iam:PassedToService");
    assertThat(Stream.of("ec2:DeregisterImage", "ec2:DeleteSnapshot", "ec2:TerminateInstances", "ssm:PutParameter"))
        .noneMatch(a -> launch.allows(a, "*"));
    // Tags only as part of what it creates: with runs.json beside it, the cancel tag stays the only later one.
    assertThat(launch.conditionsOn("ec2:CreateTags")).containsExactly("StringEquals ec2:CreateAction");
    assertThat(launch.conditionValues("ec2:CreateTags", "StringEquals", "ec2:CreateAction"))
        .containsExactly("RunInstances", "CreateFleet", "CreateLaunchTemplate");
  }

  /**
   * A recovering launch adds a version to the project's launch template (tagged with the project:
   * another team's template gets none), creates a maintain fleet tagged as it is created, and reads
   * the fleet's instances to wait for them; it cannot delete or change fleets.
   */
  @Test
  void launchAddsVersionsOnlyToTheProjectsTemplateAndCreatesButNeverDeletesFleets() throws IOException {
    Policy launch = Policy.of("launch");
    String template = "arn:aws:ec2:us-east-1:123456789012:launch-template/lt-0abc1234";

    assertThat(launch.allows("ec2:CreateLaunchTemplateVersion", template)).isTrue();
    assertThat(launch.allows("ec2:CreateLaunchTemplateVersion", "*")).as("only launch templates").isFalse();
    assertThat(launch.conditionsOn("ec2:CreateLaunchTemplateVersion"))
        .containsExactly("Null aws:ResourceTag/ami-pipeline:project");
    assertThat(launch.allows("ec2:CreateFleet", "*")).isTrue();
    assertThat(launch.allows("ec2:DescribeFleets", "*")).isTrue();
    assertThat(launch.allows("ec2:DescribeFleetInstances", "*")).isTrue();
    assertThat(Stream.of("ec2:DeleteFleets", "ec2:ModifyFleet"))
        .noneMatch(a -> launch.allows(a, "*") || launch.allows(a, "arn:aws:ec2:us-east-1:123456789012:fleet/f"));
  }

  @Test
  void runsReadsTheResultsTagsOnlyTheCancelTagAndEndsOnlyTheProjectsInstances() throws IOException {
    Policy runs = Policy.of("runs");
    String instance = "arn:aws:ec2:us-east-1:123456789012:instance/i-0abc12345";

    assertThat(runs.allows("s3:GetObject", "arn:aws:s3:::ml-logs/runs/demo/demo-20261202-101500-3fa9/i-0abc/job.log"))
        .isTrue();
    assertThat(runs.allows("s3:GetObject", "arn:aws:s3:::ml-logs/runs/demo/i-0abc/exit-status.json")).isTrue();
    assertThat(runs.allows("s3:GetObject", "arn:aws:s3:::other-bucket/runs/demo/x")).isFalse();
    assertThat(runs.allows("s3:GetObject", "arn:aws:s3:::ml-logs/private/x")).as("outside the log prefix").isFalse();
    assertThat(runs.allows("s3:ListBucket", "arn:aws:s3:::ml-logs")).isTrue();
    assertThat(runs.conditionValues("s3:ListBucket", "StringLike", "s3:prefix")).containsExactly("runs/*");
    assertThat(runs.allows("ec2:GetConsoleOutput", instance)).isTrue();
    assertThat(runs.allows("ec2:CreateTags", instance)).isTrue();
    assertThat(runs.allows("ec2:CreateTags", "arn:aws:ec2:us-east-1::image/ami-0abc")).isFalse();
    assertThat(runs.conditionsOn("ec2:CreateTags")).containsExactlyInAnyOrder(
        "Null ec2:ResourceTag/ami-pipeline:project", "Null aws:TagKeys", "ForAllValues:StringEquals aws:TagKeys");
    assertThat(runs.conditionValues("ec2:CreateTags", "ForAllValues:StringEquals", "aws:TagKeys"))
        .containsExactly("ami-pipeline:cancelled");
    assertThat(runs.conditionsOn("ec2:TerminateInstances"))
        .containsExactly("Null ec2:ResourceTag/ami-pipeline:project");
    assertThat(runs.conditionsOn("ec2:GetConsoleOutput")).containsExactly("Null ec2:ResourceTag/ami-pipeline:project");
    assertThat(Stream.of("ec2:RunInstances", "ec2:CreateFleet", "ec2:DeleteTags", "ec2:StopInstances",
            "s3:PutObject", "s3:DeleteObject", "ssm:PutParameter", "iam:PassRole", "ec2:ModifyFleet"))
        .noneMatch(a -> runs.allows(a, "*") || runs.allows(a, instance)
            || runs.allows(a, "arn:aws:s3:::ml-logs/runs/x"));
    // A recovering run's cancel deletes its fleet (and so its instances), only a fleet of a project.
    String fleet = "arn:aws:ec2:us-east-1:123456789012:fleet/fleet-0abc1234";
    assertThat(runs.allows("ec2:DescribeFleets", "*")).isTrue();
    assertThat(runs.allows("ec2:DeleteFleets", fleet)).isTrue();
    assertThat(runs.allows("ec2:DeleteFleets", "*")).isFalse();
    assertThat(runs.conditionsOn("ec2:DeleteFleets")).containsExactly("Null ec2:ResourceTag/ami-pipeline:project");
  }
}
