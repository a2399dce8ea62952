package dev.amipipeline.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class DurationsTest {

  @ParameterizedTest
  @CsvSource({"0,PT0S", "90s,PT1M30S", "30m,PT30M", "6h,PT6H", "7d,PT168H"})
  void parsesShortForms(String text, String iso) {
    assertThat(Durations.parse(text, "--min-age")).isEqualTo(Duration.parse(iso));
    assertThat(Durations.parse(Durations.format(Duration.parse(iso)), "x")).isEqualTo(Duration.parse(iso));
  }

  @ParameterizedTest
  @ValueSource(strings = {"banana", "-1d", "7 days", "", "1w", "d"})
  void rejectsOthersNamingTheOption(String text) {
    assertThatThrownBy(() -> Durations.parse(text, "--min-age"))
        .isInstanceOf(AmiException.BadInput.class)
        .hasMessageStartingWith("--min-age: '" + text + "' is not a duration");
  }
}
