package dev.amipipeline.results;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.amipipeline.common.AmiException;
import org.junit.jupiter.api.Test;

class ResultLayoutTest {

  private static final RunId RUN = RunId.parse("demo-20261202-101500-3fa9");

  @Test
  void resultsAreFiledByRunThenInstanceAndTheOldLayoutIsTheInstanceStraightUnderTheProject() {
    ResultLayout layout = ResultLayout.of("s3://logs-bucket/runs/", "demo");

    assertThat(layout.bucket()).isEqualTo("logs-bucket");
    assertThat(layout.project().uri()).isEqualTo("s3://logs-bucket/runs/demo/");
    assertThat(layout.run(RUN).key(ResultLayout.RUN_SUMMARY)).isEqualTo("runs/demo/demo-20261202-101500-3fa9/run.json");
    assertThat(layout.instance(RUN, "i-0abc12345").uri(ResultLayout.JOB_LOG))
        .isEqualTo("s3://logs-bucket/runs/demo/demo-20261202-101500-3fa9/i-0abc12345/job.log");
    assertThat(layout.legacyInstance("i-0abc12345").key(ResultLayout.EXIT_STATUS))
        .isEqualTo("runs/demo/i-0abc12345/exit-status.json");
  }

  @Test
  void aBucketWithoutPrefixHoldsTheProjectsAtItsTop() {
    assertThat(ResultLayout.of("s3://logs-bucket", "ml").instance(RUN, "i-0abc12345").key(ResultLayout.JOB_LOG))
        .isEqualTo("ml/demo-20261202-101500-3fa9/i-0abc12345/job.log");
  }

  @Test
  void aLogUriThatIsNotS3IsBadInput() {
    assertThatThrownBy(() -> ResultLayout.of("https://logs.example.com/x", "demo"))
        .isInstanceOf(AmiException.BadInput.class)
        .hasMessage("the run configuration's logUri 'https://logs.example.com/x' is not an s3:// URI");
  }
}
