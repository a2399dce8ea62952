package dev.amipipeline.launch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.amipipeline.common.AmiException;
import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TypeChooserTest {

  private static final List<String> X86 = List.of("x86_64");

  /** A fixed slice of EC2's catalogue: sizes as DescribeInstanceTypes reports them. */
  private static final List<TypeChooser.TypeInfo> TYPES = List.of(
      new TypeChooser.TypeInfo("m5.2xlarge", 8, 32768, 0, 0, X86, true),
      new TypeChooser.TypeInfo("r5.2xlarge", 8, 65536, 0, 0, X86, true),
      new TypeChooser.TypeInfo("r5d.2xlarge", 8, 65536, 0, 300, X86, true),
      new TypeChooser.TypeInfo("i3.2xlarge", 8, 62464, 0, 1900, X86, true),
      new TypeChooser.TypeInfo("r3.2xlarge", 8, 62464, 0, 160, X86, false),
      new TypeChooser.TypeInfo("p3.2xlarge", 8, 62464, 1, 0, X86, true),
      new TypeChooser.TypeInfo("r6g.2xlarge", 8, 65536, 0, 0, List.of("arm64"), true),
      new TypeChooser.TypeInfo("m5.4xlarge", 16, 65536, 0, 0, X86, true),
      new TypeChooser.TypeInfo("r5.4xlarge", 16, 131072, 0, 0, X86, true));

  private static final TypeChooser.Requirement EIGHT_BY_64GB = new TypeChooser.Requirement(8, 61035, "x86_64");

  @Test
  void onDemandEstimatePicksThePlainMemoryTypeOverGpuStorageAndBiggerOnes() {
    TypeChooser.Choice choice = TypeChooser.choose(TYPES, EIGHT_BY_64GB, new TypeChooser.OnDemandEstimate(), 6);
    assertThat(choice.best().instanceType()).isEqualTo("r5.2xlarge");
    assertThat(choice.best().hourlyUsd()).isEqualByComparingTo("0.472");
    assertThat(choice.typesInOrder()).containsExactly("r5.2xlarge", "r5d.2xlarge", "i3.2xlarge", "m5.4xlarge",
        "r5.4xlarge", "p3.2xlarge");
    // m5.2xlarge is too small, r3 is an old generation, r6g is arm64.
    assertThat(choice.fitting()).isEqualTo(6);
  }

  @Test
  void spotPricesDecideAndTypesWithoutOfferAreLeftOut() {
    TypeChooser.SpotPrices spot = new TypeChooser.SpotPrices(Map.of(
        "r5.2xlarge", new BigDecimal("0.21"), "i3.2xlarge", new BigDecimal("0.19"),
        "m5.4xlarge", new BigDecimal("0.30"), "r6g.2xlarge", new BigDecimal("0.01")));
    TypeChooser.Choice choice = TypeChooser.choose(TYPES, EIGHT_BY_64GB, spot, 2);
    assertThat(choice.typesInOrder()).containsExactly("i3.2xlarge", "r5.2xlarge");
    assertThat(choice.runnersUp()).extracting(TypeChooser.Candidate::instanceType).containsExactly("r5.2xlarge");
    assertThat(choice.unpriced()).isEqualTo(3);
  }

  @Test
  void equalPricesGoToTheSmallerTypeThenTheName() {
    TypeChooser.SpotPrices flat = new TypeChooser.SpotPrices(Map.of(
        "r5.4xlarge", new BigDecimal("0.1"), "r5d.2xlarge", new BigDecimal("0.1"), "r5.2xlarge", new BigDecimal("0.1")));
    assertThat(TypeChooser.choose(TYPES, EIGHT_BY_64GB, flat, 6).typesInOrder())
        .containsExactly("r5.2xlarge", "r5d.2xlarge", "r5.4xlarge");
  }

  @Test
  void nothingFitsIsBadInputSayingWhatWasAsked() {
    assertThatThrownBy(() -> TypeChooser.choose(TYPES, new TypeChooser.Requirement(64, 1, "x86_64"),
        new TypeChooser.OnDemandEstimate(), 6))
        .isInstanceOf(AmiException.BadInput.class).hasMessageContaining("64+ vCPUs");
  }
}
