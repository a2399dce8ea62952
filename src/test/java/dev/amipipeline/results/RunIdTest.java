package dev.amipipeline.results;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.amipipeline.common.AmiException;
import java.time.Instant;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RunIdTest {

  private static final Instant NOW = Instant.parse("2026-12-02T10:15:00.734Z");

  @Test
  void aRunIdIsTheProjectTheUtcSecondAndFourHexDigitsOfTheRandomSource() {
    RandomGenerator random = () -> 0x3fa9L << 32;

    RunId run = RunId.start("demo", NOW, random);

    assertThat(run.value()).isEqualTo("demo-20261202-101500-3fa9");
    assertThat(run.project()).isEqualTo("demo");
    assertThat(run.startedAt()).isEqualTo(Instant.parse("2026-12-02T10:15:00Z"));
    assertThat(RunId.start("demo", NOW, () -> 0x3fa9L << 32)).as("pure: same clock, same random").isEqualTo(run);
    assertThat(RunId.start("demo", NOW, () -> 0x0007L << 32).value()).endsWith("-0007");
  }

  @Test
  void whatItPrintsParsesBackAndAProjectWithDashesAndDigitsStaysWhole() {
    RunId made = RunId.start("ml-2-gpu", NOW, new SplittableRandom(7));

    RunId parsed = RunId.parse(made.value());

    assertThat(parsed).isEqualTo(made);
    assertThat(parsed.project()).isEqualTo("ml-2-gpu");
    assertThat(parsed.isInstanceId()).isFalse();
  }

  @Test
  void anInstanceIdIsTheRunIdOfAnInstanceStartedByHand() {
    RunId run = RunId.parse("i-0123456789abcdef0");

    assertThat(run.isInstanceId()).isTrue();
    assertThat(run.project()).isNull();
    assertThat(run.startedAt()).isNull();
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "demo", "demo-20261202-101500", "demo-20261202-101500-3FA9", "Demo-20261202-101500-3fa9",
      "demo-20261202-101500-3fa9x", "../demo-20261202-101500-3fa9", "demo-20261399-101500-3fa9", "i-xyz", "i-0123",
      "demo-2026120-101500-3fa9", "demo 20261202-101500-3fa9"})
  void anythingElseIsBadInputNamingWhatARunIdLooksLike(String text) {
    assertThatThrownBy(() -> RunId.parse(text)).isInstanceOf(AmiException.BadInput.class)
        .hasMessage("'" + text + "' is not a run id: use the id 'ami launch' printed (e.g. demo-20261202-101500-3fa9,"
            + " see 'ami runs') or an instance id (i-…)");
  }
}
