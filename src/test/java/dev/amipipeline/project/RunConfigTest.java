package dev.amipipeline.project;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import dev.amipipeline.common.AmiException;
import java.lang.reflect.RecordComponent;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RunConfigTest {

  private static final RunConfig CONFIG = new RunConfig("https://example.com/r.git", "v1", "make train", "ml",
      Map.of("EPOCHS", "3"), "s3://logs-bucket/runs", false, 90);

  /** A project file's run section becomes the run configuration field by field: a field only one has is lost. */
  @Test
  void itsFieldsAreTheProjectFilesRunSectionInTheSameOrder() {
    assertThat(components(RunConfig.class)).isEqualTo(components(ProjectSpec.Run.class));
    assertThat(RunConfig.class.getAnnotation(JsonPropertyOrder.class).value())
        .containsExactly(Arrays.stream(RunConfig.class.getRecordComponents()).map(RecordComponent::getName)
            .toArray(String[]::new));
  }

  @Test
  void readsWhatItWrites() {
    assertThat(RunConfig.fromJson(CONFIG.toJson())).isEqualTo(CONFIG);
  }

  @Test
  void fieldsItDoesNotKnowAreIgnoredAsOnTheInstance() {
    RunConfig read = RunConfig.fromJson("""
        {"repo": "https://example.com/r.git", "logUri": "s3://logs-bucket/runs",
         "checkpoint": {"dir": "/data/ckpt", "syncSeconds": 300}, "addedLater": [1, 2]}""");

    assertThat(read.logUri()).isEqualTo("s3://logs-bucket/runs");
    assertThat(read.repo()).isEqualTo("https://example.com/r.git");
  }

  @Test
  void textThatIsNotJsonCallsForARebake() {
    assertThatThrownBy(() -> RunConfig.fromJson("{\"logUri\": "))
        .isInstanceOf(AmiException.Failed.class)
        .hasMessageStartingWith("the run configuration in SSM is not valid JSON: rebake the project (");
  }

  /** "type name" per component, boxed types as their primitives (the project file's are optional). */
  private static List<String> components(Class<? extends Record> type) {
    return Arrays.stream(type.getRecordComponents()).map(c -> unboxed(c) + " " + c.getName()).toList();
  }

  private static String unboxed(RecordComponent c) {
    return switch (c.getGenericType().getTypeName()) {
      case "java.lang.Boolean" -> "boolean";
      case "java.lang.Integer" -> "int";
      default -> c.getGenericType().getTypeName();
    };
  }
}
