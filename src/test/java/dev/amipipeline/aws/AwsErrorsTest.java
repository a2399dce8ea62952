package dev.amipipeline.aws;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ConnectException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.ec2.model.Ec2Exception;

/** EC2's answers as the SDK hands them over (recorded codes and statuses; no emulator refuses this way). */
class AwsErrorsTest {

  @ParameterizedTest
  @ValueSource(strings = {"InvalidAMIID.NotFound", "InvalidAMIID.Unavailable", "InvalidAMIID.Malformed"})
  void anImageIdThatNamesNoImageIsNoSuchImage(String code) {
    assertThat(AwsErrors.noSuchImage(ec2(400, code, "The image id '[ami-0123]' does not exist"))).isTrue();
  }

  @Test
  void aRefusalThrottlingOrBreakdownSaysNothingAboutTheImage() {
    assertThat(AwsErrors.noSuchImage(ec2(403, "UnauthorizedOperation", "You are not authorized"))).isFalse();
    assertThat(AwsErrors.noSuchImage(ec2(503, "RequestLimitExceeded", "Request limit exceeded."))).isFalse();
    assertThat(AwsErrors.noSuchImage(ec2(500, null, "Internal Server Error"))).isFalse();
    assertThat(AwsErrors.noSuchImage(SdkClientException.create("refused", new ConnectException("refused"))))
        .isFalse();
  }

  @Test
  void aRefusalIsAccessDeniedAndSoIsAForbiddenAnswerWithoutACode() {
    assertThat(AwsErrors.accessDenied(ec2(403, "UnauthorizedOperation", "no"))).isTrue();
    assertThat(AwsErrors.accessDenied(ec2(403, null, null))).isTrue();
    assertThat(AwsErrors.accessDenied(ec2(400, "InvalidAMIID.NotFound", "gone"))).isFalse();
  }

  @Test
  void oneResourcesFailureReadsCodeAndTheFirstLineOfTheMessage() {
    assertThat(AwsErrors.describe(ec2(400, "InvalidSnapshot.InUse", "in use by ami-1\nmore"))).isEqualTo(
        "InvalidSnapshot.InUse: in use by ami-1");
    assertThat(AwsErrors.describe(ec2(500, null, " "))).isEqualTo("HTTP 500");
    assertThat(AwsErrors.describe(SdkClientException.create("Unable to execute HTTP request\nat ..."))).isEqualTo(
        "Unable to execute HTTP request");
  }

  private static Ec2Exception ec2(int status, String code, String message) {
    return (Ec2Exception) Ec2Exception.builder().statusCode(status)
        .awsErrorDetails(AwsErrorDetails.builder().serviceName("Ec2").errorCode(code).errorMessage(message).build())
        .build();
  }
}
