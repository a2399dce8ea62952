package dev.amipipeline.bake;

import static org.assertj.core.api.Assertions.assertThat;

import dev.amipipeline.common.Elapsed;
import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ElapsedTest {

  @ParameterizedTest(name = "{0}s = {1} = {2}")
  @CsvSource({
      "0, 0s, 00:00",
      "42, 42s, 00:42",
      "303, 5m 3s, 05:03",
      "600, 10m, 10:00",
      "7500, 2h 5m, 125:00",
      "10800, 3h, 180:00",
      "273600, 3d 4h, 4560:00"})
  void wordsAndClock(long seconds, String words, String clock) {
    assertThat(Elapsed.words(Duration.ofSeconds(seconds))).isEqualTo(words);
    assertThat(Elapsed.clock(Duration.ofSeconds(seconds))).isEqualTo(clock);
  }
}
