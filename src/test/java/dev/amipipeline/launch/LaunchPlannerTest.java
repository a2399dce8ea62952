package dev.amipipeline.launch;

import static dev.amipipeline.launch.LaunchFixtures.options;
import static dev.amipipeline.launch.LaunchFixtures.plan;
import static dev.amipipeline.launch.LaunchFixtures.project;
import static dev.amipipeline.launch.LaunchFixtures.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.amipipeline.common.AmiException;
import dev.amipipeline.project.Project;
import java.math.BigDecimal;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class LaunchPlannerTest {

  private static final Project PLAIN = project("demo", "ubuntu", """
      {"instanceTypes": ["t3.micro", "t3a.micro"]}""");

  private static final Project FULL = project("ml", "ubuntu", """
      {"instanceTypes": ["p3.2xlarge", "g5.xlarge"], "spot": true,
       "subnets": ["subnet-0aaa1111", "subnet-0bbb2222"], "securityGroups": ["sg-0ccc3333"],
       "iamInstanceProfile": "ami-pipeline-ml", "keyName": "team",
       "rootVolume": {"sizeGiB": 200, "type": "gp3", "iops": 4000},
       "extraVolumes": [{"device": "/dev/sdf", "sizeGiB": 500, "type": "st1", "deleteOnTermination": false}]}""");

  @Test
  void plainProjectTakesItsDefaultsAndTagsWithProjectAndStampedName() {
    LaunchPlan plan = plan(PLAIN, options());
    assertThat(plan.market()).isEqualTo(new Market.OnDemand());
    assertThat(plan.instanceTypes()).containsExactly("t3.micro", "t3a.micro");
    assertThat(plan.subnets()).isEmpty();
    assertThat(plan.blockDevices()).isEmpty();
    assertThat(plan.iamInstanceProfile()).isNull();
    assertThat(plan.tags()).containsExactly(
        java.util.Map.entry("ami-pipeline:project", "demo"), java.util.Map.entry("Name", "demo-20250304-050607"));
    assertThat(plan.imageRef()).isEqualTo("resolve:ssm:/ami-pipeline/demo/ami-id");
    assertThat(plan.userData()).isEqualTo("AMI_PROJECT=demo\n");
    assertThat(plan.fleet()).isFalse();
  }

  @Test
  void fullProjectBringsItsVolumesProfileKeyAndNetwork() {
    LaunchPlan plan = plan(FULL, options());
    assertThat(plan.market()).isEqualTo(new Market.Spot(null));
    assertThat(plan.blockDevices()).containsExactly(
        new BlockDevice("/dev/sda1", 200, "gp3", 4000, null, true),
        new BlockDevice("/dev/sdf", 500, "st1", null, null, false));
    assertThat(plan.iamInstanceProfile()).isEqualTo("ami-pipeline-ml");
    assertThat(plan.keyName()).isEqualTo("team");
    assertThat(plan.subnets()).containsExactly("subnet-0aaa1111", "subnet-0bbb2222");
    assertThat(plan.securityGroups()).containsExactly("sg-0ccc3333");
  }

  static Stream<Arguments> flagsOverrideTheProject() {
    return Stream.of(
        Arguments.of(new LaunchOptions(false, null, false, List.of(), List.of(), null, null, null, 1, null),
            "market", new Market.OnDemand()),
        Arguments.of(new LaunchOptions(null, new BigDecimal("1.25"), false, List.of(), List.of(), null, null, null, 1,
            null), "market", new Market.Spot(new BigDecimal("1.25"))),
        Arguments.of(new LaunchOptions(null, null, false, List.of("subnet-0ddd4444"), List.of(), null, null, null, 1,
            null), "subnets", List.of("subnet-0ddd4444")),
        Arguments.of(new LaunchOptions(null, null, false, List.of(), List.of("sg-0eee5555", "sg-0fff6666"), null, null,
            null, 1, null), "securityGroups", List.of("sg-0eee5555", "sg-0fff6666")),
        Arguments.of(new LaunchOptions(null, null, false, List.of(), List.of(), "mine", null, null, 1, null),
            "keyName", "mine"),
        Arguments.of(new LaunchOptions(null, null, false, List.of(), List.of(), null, "other-profile", null, 1, null),
            "iamInstanceProfile", "other-profile"),
        Arguments.of(new LaunchOptions(null, null, false, List.of(), List.of(), null, null, "/dev/nvme0n1", 1, null),
            "rootDevice", "/dev/nvme0n1"),
        Arguments.of(new LaunchOptions(null, null, false, List.of(), List.of(), null, null, null, 4,
            Placement.cluster), "placementGroup", "ami-pipeline-ml-cluster"));
  }

  @ParameterizedTest(name = "{1} = {2}")
  @MethodSource
  void flagsOverrideTheProject(LaunchOptions options, String field, Object expected) {
    LaunchPlan plan = plan(FULL, options);
    Object actual = switch (field) {
      case "market" -> plan.market();
      case "subnets" -> plan.subnets();
      case "securityGroups" -> plan.securityGroups();
      case "keyName" -> plan.keyName();
      case "iamInstanceProfile" -> plan.iamInstanceProfile();
      case "rootDevice" -> plan.blockDevices().get(0).deviceName();
      case "placementGroup" -> plan.placementGroup();
      default -> throw new IllegalArgumentException(field);
    };
    assertThat(actual).isEqualTo(expected);
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @MethodSource
  void rootDeviceFollowsTheImageFamily(String sshUser, String device) {
    Project p = project("x", sshUser, """
        {"instanceTypes": ["t3.micro"], "rootVolume": {"sizeGiB": 30}}""");
    assertThat(plan(p, options()).blockDevices()).extracting(BlockDevice::deviceName).containsExactly(device);
  }

  static Stream<Arguments> rootDeviceFollowsTheImageFamily() {
    return Stream.of(Arguments.of("ubuntu", "/dev/sda1"), Arguments.of("ec2-user", "/dev/xvda"),
        Arguments.of("admin", "/dev/xvda"), Arguments.of("rocky", "/dev/sda1"));
  }

  @Test
  void attemptsGoTypeBySubnetThenOnDemandWhenAskedTo() {
    LaunchPlan plan = plan(FULL, LaunchFixtures.spot(null, true));
    assertThat(plan.attempts()).extracting(Object::toString).containsExactly(
        "spot p3.2xlarge in subnet-0aaa1111", "spot p3.2xlarge in subnet-0bbb2222",
        "spot g5.xlarge in subnet-0aaa1111", "spot g5.xlarge in subnet-0bbb2222",
        "on-demand p3.2xlarge in subnet-0aaa1111", "on-demand p3.2xlarge in subnet-0bbb2222",
        "on-demand g5.xlarge in subnet-0aaa1111", "on-demand g5.xlarge in subnet-0bbb2222");
    assertThat(plan(PLAIN, options()).attempts()).extracting(Object::toString)
        .containsExactly("on-demand t3.micro", "on-demand t3a.micro");
  }

  @Test
  void spotOnlyFlagsOnAnOnDemandProjectAreBadInput() {
    assertThatThrownBy(() -> request(PLAIN, new LaunchOptions(null, new BigDecimal("0.5"), false, List.of(),
        List.of(), null, null, null, 1, null)).checkAgainst(PLAIN))
        .isInstanceOf(AmiException.BadInput.class).hasMessageContaining("--max-price").hasMessageContaining("--spot");
    assertThatThrownBy(() -> request(FULL, new LaunchOptions(false, null, true, List.of(), List.of(), null, null,
        null, 1, null)).checkAgainst(FULL))
        .isInstanceOf(AmiException.BadInput.class).hasMessageContaining("--on-demand-fallback");
  }
}
