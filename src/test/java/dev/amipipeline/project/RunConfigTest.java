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

  /**
   * A project file's run section becomes the run configuration field by field, nested objects too: a
   * field only one has is lost.
   */
  @Test
  void itsFieldsAreTheProjectFilesRunSectionInTheSameOrder() {
    assertThat(components(RunConfig.class)).isEqualTo(components(ProjectSpec.Run.class));
    assertThat(components(RunConfig.Checkpoint.class)).isEqualTo(components(ProjectSpec.Checkpoint.class));
    assertThat(components(RunConfig.class)).contains("Checkpoint checkpoint");
    for (Class<? extends Record> stored : List.of(RunConfig.class, RunConfig.Checkpoint.class)) {
      assertThat(stored.getAnnotation(JsonPropertyOrder.class).value())
          .containsExactly(Arrays.stream(stored.getRecordComponents()).map(RecordComponent::getName)
              .toArray(String[]::new));
    }
  }

  @Test
  void readsWhatItWrites() {
    assertThat(RunConfig.fromJson(CONFIG.toJson())).isEqualTo(CONFIG);
  }

  @Test
  void fieldsItDoesNotKnowAreIgnoredAsOnTheInstance() {
    RunConfig read = RunConfig.fromJson("""
        {"repo": "https://example.com/r.git", "logUri": "s3://logs-bucket/runs",
         "checkpoint": {"dir": "/data/ckpt", "uri": "s3://logs-bucket/runs", "syncSeconds": 300, "later": 1},
         "addedLater": [1, 2]}""");

    assertThat(read.logUri()).isEqualTo("s3://logs-bucket/runs");
    assertThat(read.repo()).isEqualTo("https://example.com/r.git");
    assertThat(read.checkpoint()).isEqualTo(new RunConfig.Checkpoint("/data/ckpt", "s3://logs-bucket/runs", 300));
  }

  @Test
  void textThatIsNotJsonCallsForARebake() {
    assertThatThrownBy(() -> RunConfig.fromJson("{\"logUri\": "))
        .isInstanceOf(AmiException.Failed.class)
        .hasMessageStartingWith("the run configuration in SSM is not valid JSON: rebake the project (");
  }

  /**
   * "type name" per component, boxed types as their primitives (the project file's are optional) and
   * nested records by their simple name (each side has its own, compared on their own).
   */
  private static List<String> components(Class<? extends Record> type) {
    return Arrays.stream(type.getRecordComponents()).map(c -> unboxed(c) + " " + c.getName()).toList();
  }

  private static String unboxed(RecordComponent c) {
    if (c.getType().isRecord()) {
      return c.getType().getSimpleName();
    }
    return switch (c.getGenericType().getTypeName()) {
      case "java.lang.Boolean" -> "boolean";
      case "java.lang.Integer" -> "int";
      default -> c.getGenericType().getTypeName();
    };
  }
}
