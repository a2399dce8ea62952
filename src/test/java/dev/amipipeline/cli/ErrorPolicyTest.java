package dev.amipipeline.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.amipipeline.common.AmiException;
import dev.amipipeline.common.ExitCode;
import java.net.ConnectException;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.core.exception.ApiCallTimeoutException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.ec2.model.Ec2Exception;

class ErrorPolicyTest {

  @Test
  void ownExceptionsKeepTheirCodeAndMessage() {
    assertThat(ErrorPolicy.judge(new AmiException.BadInput("bad"))).isEqualTo(new ErrorPolicy.Verdict(ExitCode.BAD_INPUT, "bad"));
    assertThat(ErrorPolicy.judge(new AmiException.Locked("held")).exitCode()).isEqualTo(ExitCode.LOCKED);
    assertThat(ErrorPolicy.judge(new AmiException.ToolMissing("no packer")).exitCode()).isEqualTo(ExitCode.TOOL_MISSING);
    assertThat(ErrorPolicy.judge(new AmiException.Failed("x")).exitCode()).isEqualTo(ExitCode.FAILED);
  }

  @Test
  void accessDeniedSaysWhatToDo() {
    Ec2Exception denied = (Ec2Exception) Ec2Exception.builder()
        .awsErrorDetails(AwsErrorDetails.builder().errorCode("UnauthorizedOperation").serviceName("Ec2")
            .errorMessage("You are not authorized to perform this operation.\nEncoded message...").build())
        .build();
    ErrorPolicy.Verdict v = ErrorPolicy.judge(denied);
    assertThat(v.exitCode()).isEqualTo(ExitCode.FAILED);
    assertThat(v.message()).startsWith("access denied by AWS (Ec2 UnauthorizedOperation)").doesNotContain("\n")
        .contains("scripts/iam/");
  }

  @Test
  void aForbiddenAnswerWithoutAnErrorCodeIsADenialToo() {
    Ec2Exception e = (Ec2Exception) Ec2Exception.builder().statusCode(403)
        .awsErrorDetails(AwsErrorDetails.builder().serviceName("Ssm").build()).build();
    ErrorPolicy.Verdict v = ErrorPolicy.judge(e);
    assertThat(v.exitCode()).isEqualTo(ExitCode.FAILED);
    assertThat(v.message()).isEqualTo("access denied by AWS (Ssm HTTP 403) — grant the permission to these credentials"
        + " (policies in scripts/iam/)");
  }

  @Test
  void unreachableEndpointIsOneLineExitOne() {
    SdkClientException e = SdkClientException.builder().message("Unable to execute HTTP request: refused")
        .cause(new ConnectException("Connection refused")).build();
    ErrorPolicy.Verdict v = ErrorPolicy.judge(e);
    assertThat(v.exitCode()).isEqualTo(ExitCode.FAILED);
    assertThat(v.message()).contains("Connection refused").doesNotContain("\n");
  }

  @Test
  void serverErrorWithoutAnErrorCodeIsStillOneLineExitOne() {
    Ec2Exception e = (Ec2Exception) Ec2Exception.builder().statusCode(500)
        .awsErrorDetails(AwsErrorDetails.builder().serviceName("Ec2").errorMessage("Internal Server Error").build())
        .build();
    ErrorPolicy.Verdict v = ErrorPolicy.judge(e);
    assertThat(v.exitCode()).isEqualTo(ExitCode.FAILED);
    assertThat(v.message()).isEqualTo("Ec2 error HTTP 500: Internal Server Error");
  }

  @Test
  void throttlingThatOutlastsTheRetriesSaysToTryLater() {
    Ec2Exception e = (Ec2Exception) Ec2Exception.builder().statusCode(503)
        .awsErrorDetails(AwsErrorDetails.builder().errorCode("RequestLimitExceeded").serviceName("Ec2")
            .errorMessage("Request limit exceeded.").build())
        .build();
    ErrorPolicy.Verdict v = ErrorPolicy.judge(e);
    assertThat(v.exitCode()).isEqualTo(ExitCode.FAILED);
    assertThat(v.message()).startsWith("AWS kept throttling (Ec2 RequestLimitExceeded) through every retry: try again later")
        .doesNotContain("\n");
  }

  @Test
  void aCallThatOutlastsItsTimeoutNamesTheBound() {
    ErrorPolicy.Verdict v = ErrorPolicy.judge(ApiCallTimeoutException.create(45_000));
    assertThat(v.exitCode()).isEqualTo(ExitCode.FAILED);
    assertThat(v.message()).startsWith("AWS did not complete a call within 45 s, retries included").doesNotContain("\n");
  }

  @Test
  void unexpectedExceptionsAreInternalErrors() {
    ErrorPolicy.Verdict v = ErrorPolicy.judge(new IllegalStateException("boom\nline two"));
    assertThat(v.message()).isEqualTo("internal error: IllegalStateException: boom (run with --verbose for details)");
  }
}
