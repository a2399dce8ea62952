package dev.amipipeline.launch;

import static dev.amipipeline.launch.LaunchFixtures.plan;
import static dev.amipipeline.launch.LaunchFixtures.project;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.amipipeline.common.AmiException;
import dev.amipipeline.project.Project;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.services.ec2.model.Ec2Exception;

/**
 * The emulator never runs out of capacity, and real AWS cannot be made to: these tests drive the
 * fallback loop with a stand-in launcher that throws the SDK's real exception type with EC2's real
 * error codes for the attempts that "have no capacity".
 */
class CapacityFallbackTest {

  private static final Project ML = project("ml", "ubuntu", """
      {"instanceTypes": ["p3.2xlarge", "g5.xlarge"], "spot": true,
       "subnets": ["subnet-0aaa1111", "subnet-0bbb2222"]}""");

  private final List<String> said = new ArrayList<>();
  private final List<String> tried = new ArrayList<>();

  @Test
  void movesToTheNextSubnetThenTypeAndSaysSo() {
    LaunchPlan plan = plan(ML, LaunchFixtures.options());
    CapacityFallback.Granted<String> granted = CapacityFallback.firstGranted(plan.attempts(),
        refusing(Set.of("spot p3.2xlarge in subnet-0aaa1111", "spot p3.2xlarge in subnet-0bbb2222"),
            "InsufficientInstanceCapacity"), said::add);
    assertThat(granted.result()).isEqualTo("i-for spot g5.xlarge in subnet-0aaa1111");
    assertThat(tried).hasSize(3);
    assertThat(granted.refusals()).extracting(CapacityFallback.Refusal::errorCode)
        .containsExactly("InsufficientInstanceCapacity", "InsufficientInstanceCapacity");
    assertThat(said).containsExactly(
        "spot p3.2xlarge in subnet-0aaa1111: no capacity (InsufficientInstanceCapacity); trying spot p3.2xlarge in subnet-0bbb2222",
        "spot p3.2xlarge in subnet-0bbb2222: no capacity (InsufficientInstanceCapacity); trying spot g5.xlarge in subnet-0aaa1111");
  }

  @Test
  void onDemandFallbackComesLastAfterEverySpotChoice() {
    LaunchPlan plan = plan(ML, LaunchFixtures.spot(null, true));
    Set<String> spotChoices = Set.of("spot p3.2xlarge in subnet-0aaa1111", "spot p3.2xlarge in subnet-0bbb2222",
        "spot g5.xlarge in subnet-0aaa1111", "spot g5.xlarge in subnet-0bbb2222");
    CapacityFallback.Granted<String> granted =
        CapacityFallback.firstGranted(plan.attempts(), refusing(spotChoices, "SpotMaxPriceTooLow"), said::add);
    assertThat(granted.attempt().market()).isEqualTo(new Market.OnDemand());
    assertThat(granted.attempt().instanceType()).isEqualTo("p3.2xlarge");
    assertThat(tried).hasSize(5);
  }

  @Test
  void noCapacityAnywhereFailsNamingTheChoicesAndTheWayOut() {
    LaunchPlan plan = plan(ML, LaunchFixtures.options());
    Set<String> all = Set.copyOf(plan.attempts().stream().map(Object::toString).toList());
    assertThatThrownBy(() -> CapacityFallback.firstGranted(plan.attempts(), refusing(all, "capacity-not-available"),
        said::add))
        .isInstanceOf(AmiException.Failed.class)
        .hasMessageContaining("spot g5.xlarge in subnet-0bbb2222: capacity-not-available")
        .hasMessageContaining("--on-demand-fallback");
    assertThat(tried).hasSize(4);
  }

  @Test
  void otherErrorsStopAtOnceWithoutTryingElsewhere() {
    LaunchPlan plan = plan(ML, LaunchFixtures.options());
    assertThatThrownBy(() -> CapacityFallback.firstGranted(plan.attempts(),
        refusing(Set.of("spot p3.2xlarge in subnet-0aaa1111"), "UnauthorizedOperation"), said::add))
        .isInstanceOf(Ec2Exception.class);
    assertThat(tried).hasSize(1);
    assertThat(said).isEmpty();
  }

  /** A launcher whose listed attempts fail with EC2's {@code code}; the others succeed. */
  private Function<LaunchPlan.Attempt, String> refusing(Set<String> refused, String code) {
    return attempt -> {
      tried.add(attempt.toString());
      if (refused.contains(attempt.toString())) {
        throw Ec2Exception.builder().statusCode(500)
            .awsErrorDetails(AwsErrorDetails.builder().errorCode(code).errorMessage("none left").serviceName("EC2").build())
            .build();
      }
      return "i-for " + attempt;
    };
  }
}
