package dev.amipipeline.launch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.amipipeline.common.AmiException;
import dev.amipipeline.project.GpuSpec;
import java.math.BigDecimal;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TypeChooserTest {

  private static final List<String> X86 = List.of("x86_64");
  private static final List<String> ARM = List.of("arm64");

  /** A fixed slice of EC2's catalogue: sizes as DescribeInstanceTypes reports them. */
  private static final List<TypeChooser.TypeInfo> TYPES = List.of(
      new TypeChooser.TypeInfo("m5.2xlarge", 8, 32768, null, 0, X86, true),
      new TypeChooser.TypeInfo("r5.2xlarge", 8, 65536, null, 0, X86, true),
      new TypeChooser.TypeInfo("r5d.2xlarge", 8, 65536, null, 300, X86, true),
      new TypeChooser.TypeInfo("i3.2xlarge", 8, 62464, null, 1900, X86, true),
      new TypeChooser.TypeInfo("r3.2xlarge", 8, 62464, null, 160, X86, false),
      new TypeChooser.TypeInfo("p3.2xlarge", 8, 62464, gpu("NVIDIA", "V100", 1, 16384), 0, X86, true),
      new TypeChooser.TypeInfo("r6g.2xlarge", 8, 65536, null, 0, ARM, true),
      new TypeChooser.TypeInfo("m5.4xlarge", 16, 65536, null, 0, X86, true),
      new TypeChooser.TypeInfo("r5.4xlarge", 16, 131072, null, 0, X86, true));

  /**
   * GPU types as moto 5.2.1's copy of DescribeInstanceTypes gives them
   * (moto/ec2/resources/instance_types.json.gz): vCPUs, memory, GpuInfo (manufacturer, name, count,
   * memory per GPU), instance storage, architectures. g6f carries slices of an L4 (count 0).
   */
  static final List<TypeChooser.TypeInfo> GPU_TYPES = List.of(
      type("g4dn.xlarge", 4, 16384, gpu("NVIDIA", "T4", 1, 16384), 125, X86),
      type("g4dn.2xlarge", 8, 32768, gpu("NVIDIA", "T4", 1, 16384), 225, X86),
      type("g4dn.12xlarge", 48, 196608, gpu("NVIDIA", "T4", 4, 16384), 900, X86),
      type("g4ad.xlarge", 4, 16384, gpu("AMD", "Radeon Pro V520", 1, 8192), 150, X86),
      type("g5.xlarge", 4, 16384, gpu("NVIDIA", "A10G", 1, 22888), 250, X86),
      type("g5.2xlarge", 8, 32768, gpu("NVIDIA", "A10G", 1, 22888), 450, X86),
      type("g5.12xlarge", 48, 196608, gpu("NVIDIA", "A10G", 4, 22888), 3800, X86),
      type("g5.48xlarge", 192, 786432, gpu("NVIDIA", "A10G", 8, 22888), 7600, X86),
      type("g6.xlarge", 4, 16384, gpu("NVIDIA", "L4", 1, 22888), 250, X86),
      type("g6.2xlarge", 8, 32768, gpu("NVIDIA", "L4", 1, 22888), 450, X86),
      type("g6.12xlarge", 48, 196608, gpu("NVIDIA", "L4", 4, 22888), 3760, X86),
      type("g6e.xlarge", 4, 32768, gpu("NVIDIA", "L40S", 1, 45776), 250, X86),
      type("g6e.12xlarge", 48, 393216, gpu("NVIDIA", "L40S", 4, 45776), 3800, X86),
      type("g6f.large", 2, 8192, gpu("NVIDIA", "L4", 0, 2861), 100, X86),
      type("g6f.4xlarge", 16, 65536, gpu("NVIDIA", "L4", 0, 11444), 450, X86),
      type("g5g.xlarge", 4, 8192, gpu("NVIDIA", "T4g", 1, 16384), 0, ARM),
      type("g7e.2xlarge", 8, 65536, gpu("NVIDIA", "RTX PRO Server 6000", 1, 98304), 1900, X86),
      type("p3dn.24xlarge", 96, 786432, gpu("NVIDIA", "V100", 8, 32768), 1800, X86),
      type("p4d.24xlarge", 96, 1179648, gpu("NVIDIA", "A100", 8, 40960), 8000, X86),
      type("p4de.24xlarge", 96, 1179648, gpu("NVIDIA", "A100", 8, 81920), 8000, X86),
      type("p5.4xlarge", 16, 262144, gpu("NVIDIA", "H100", 1, 81920), 3800, X86),
      type("p5.48xlarge", 192, 2097152, gpu("NVIDIA", "H100", 8, 81920), 30400, X86),
      type("p5en.48xlarge", 192, 2097152, gpu("NVIDIA", "H200", 8, 144384), 30400, X86),
      type("p6-b200.48xlarge", 192, 2097152, gpu("NVIDIA", "B200", 8, 183359), 30400, X86),
      type("p6-b300.48xlarge", 192, 4194304, gpu("NVIDIA", "B300", 8, 275040), 30400, X86),
      type("dl1.24xlarge", 96, 786432, gpu("Habana", "Gaudi HL-205", 8, 32768), 4000, X86));

  /** Spot prices to rank by: moto gives every type the same one, so these are injected (USD/hour). */
  static final TypeChooser.SpotPrices SPOT = new TypeChooser.SpotPrices(prices("""
      g4dn.xlarge 0.22, g4dn.2xlarge 0.30, g4dn.12xlarge 1.60, g4ad.xlarge 0.15, g5.xlarge 0.40, g5.2xlarge 0.48,
      g5.12xlarge 2.20, g5.48xlarge 6.50, g6.xlarge 0.36, g6.2xlarge 0.43, g6.12xlarge 1.90, g6e.xlarge 0.75,
      g6e.12xlarge 4.20, g6f.large 0.10, g6f.4xlarge 0.50, g5g.xlarge 0.17, g7e.2xlarge 1.20, p3dn.24xlarge 9.00,
      p4d.24xlarge 10.50, p4de.24xlarge 13.00, p5.4xlarge 2.50, p5.48xlarge 30.00, p5en.48xlarge 35.00,
      p6-b200.48xlarge 40.00, p6-b300.48xlarge 55.00, dl1.24xlarge 4.00"""));

  private static final TypeChooser.Requirement EIGHT_BY_64GB = new TypeChooser.Requirement(8, 61035, null, "x86_64");

  static TypeChooser.Gpu gpu(String manufacturer, String name, int count, long memoryMib) {
    return new TypeChooser.Gpu(manufacturer, name, count, memoryMib);
  }

  private static TypeChooser.TypeInfo type(String name, int vcpus, long memoryMib, TypeChooser.Gpu gpu, long storageGb,
      List<String> architectures) {
    return new TypeChooser.TypeInfo(name, vcpus, memoryMib, gpu, storageGb, architectures, true);
  }

  private static Map<String, BigDecimal> prices(String table) {
    return Arrays.stream(table.split(",")).map(String::strip)
        .collect(Collectors.toMap(p -> p.split(" ")[0], p -> new BigDecimal(p.split(" ")[1])));
  }

  private static TypeChooser.Requirement gpus(String spec, int cpu, long memoryMib, String architecture) {
    return new TypeChooser.Requirement(cpu, memoryMib, GpuSpec.parse(spec), architecture);
  }

  @Test
  void onDemandEstimatePicksThePlainMemoryTypeOverGpuStorageAndBiggerOnes() {
    TypeChooser.Choice choice = TypeChooser.choose(TYPES, EIGHT_BY_64GB, new TypeChooser.OnDemandEstimate(), 6);
    assertThat(choice.best().instanceType()).isEqualTo("r5.2xlarge");
    assertThat(choice.best().hourlyUsd()).isEqualByComparingTo("0.472");
    assertThat(choice.typesInOrder()).containsExactly("r5.2xlarge", "r5d.2xlarge", "i3.2xlarge", "m5.4xlarge",
        "r5.4xlarge", "p3.2xlarge");
    // m5.2xlarge is too small, r3 is an old generation, r6g is arm64.
    assertThat(choice.fitting()).isEqualTo(6);
    assertThat(choice.best().gpuModel()).isNull();
    assertThat(choice.best().usdPerGpuHour()).isNull();
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
    assertThatThrownBy(() -> TypeChooser.choose(TYPES, new TypeChooser.Requirement(64, 1, null, "x86_64"),
        new TypeChooser.OnDemandEstimate(), 6))
        .isInstanceOf(AmiException.BadInput.class).hasMessageContaining("64+ vCPUs");
  }

  /** Each GPU spec (with --cpu/--memory when given) against the GPU types, ranked by the injected spot prices. */
  @ParameterizedTest(name = "{0} {1} vCPUs {2} MiB {3}")
  @CsvSource(delimiter = '|', textBlock = """
      24GB+:1  |  0 |     0 | x86_64 | g6.xlarge g5.xlarge g6.2xlarge g5.2xlarge g6e.xlarge g7e.2xlarge
      a10g:1   |  0 |     0 | x86_64 | g5.xlarge g5.2xlarge
      A100:8   |  0 |     0 | x86_64 | p4d.24xlarge p4de.24xlarge
      40GB+:8  |  0 |     0 | x86_64 | p4d.24xlarge p4de.24xlarge p5.48xlarge p5en.48xlarge p6-b200.48xlarge p6-b300.48xlarge
      80GB+:8  |  0 |     0 | x86_64 | p4de.24xlarge p5.48xlarge p5en.48xlarge p6-b200.48xlarge p6-b300.48xlarge
      L4       |  0 |     0 | x86_64 | g6.xlarge g6.2xlarge
      1        |  0 |     0 | x86_64 | g4ad.xlarge g4dn.xlarge g4dn.2xlarge g6.xlarge g5.xlarge g6.2xlarge
      16GB+:4  |  0 |     0 | x86_64 | g4dn.12xlarge g6.12xlarge g5.12xlarge g6e.12xlarge
      24GB+:1  |  8 | 32768 | x86_64 | g6.2xlarge g5.2xlarge g7e.2xlarge p5.4xlarge
      80GB+:1  |  0 |     0 | x86_64 | g7e.2xlarge p5.4xlarge
      1        |  0 |     0 | arm64  | g5g.xlarge
      """)
  void gpuSpecsPickTheCheapestTypesWithExactlyThoseGpus(String spec, int cpu, long memoryMib, String architecture,
      String expected) {
    TypeChooser.Choice choice = TypeChooser.choose(GPU_TYPES, gpus(spec, cpu, memoryMib, architecture), SPOT, 6);

    assertThat(choice.typesInOrder()).containsExactly(expected.split(" "));
  }

  @Test
  void eachRowShowsTheGpuItsMemoryAsSoldAndThePricePerGpuHour() {
    TypeChooser.Choice choice = TypeChooser.choose(GPU_TYPES, gpus("40GB+:8", 0, 0, "x86_64"), SPOT, 6);

    assertThat(choice.best()).isEqualTo(new TypeChooser.Candidate("p4d.24xlarge", 96, 1179648, 8, "NVIDIA A100", 40L,
        new BigDecimal("10.50"), new BigDecimal("1.313")));
    assertThat(choice.fitting()).isEqualTo(6);
  }

  @Test
  void theOnDemandEstimateRanksSingleGpuTypesByTheirCardLikeListPrices() {
    TypeChooser.Choice choice = TypeChooser.choose(GPU_TYPES, gpus("1", 0, 0, "x86_64"),
        new TypeChooser.OnDemandEstimate(), 20);

    // us-east-1 list: g4ad.xlarge 0.379, g4dn.xlarge 0.526, g4dn.2xlarge 0.752, g6.xlarge 0.805,
    // g5.xlarge 1.006, g6e.xlarge 1.861.
    assertThat(choice.typesInOrder()).containsExactly("g4ad.xlarge", "g4dn.xlarge", "g4dn.2xlarge", "g5.xlarge",
        "g6.xlarge", "g5.2xlarge", "g6.2xlarge", "g6e.xlarge", "g7e.2xlarge", "p5.4xlarge");
    assertThat(choice.table()).extracting(c -> c.hourlyUsd().toPlainString()).startsWith("0.4650", "0.7275",
        "0.9255", "0.9990");
  }

  @Test
  void aSpecNothingSatisfiesIsBadInputNamingItAndTheNearestTypes() {
    assertThatThrownBy(() -> TypeChooser.choose(GPU_TYPES, gpus("A100:1", 8, 1024, "x86_64"), SPOT, 6))
        .isInstanceOf(AmiException.BadInput.class)
        .hasMessage("no current-generation x86_64 instance type has GPUs 'A100:1', 8+ vCPUs and 1024+ MiB in this"
            + " region; nearest: p4d.24xlarge (A100:8 40GB, 96 vCPUs, 1179648 MiB), p4de.24xlarge (A100:8 80GB,"
            + " 96 vCPUs, 1179648 MiB), g6e.xlarge (L40S:1 48GB, 4 vCPUs, 32768 MiB), p5.4xlarge (H100:1 80GB,"
            + " 16 vCPUs, 262144 MiB): ask for one of these, or name a type with --instance-type");
  }

  /**
   * The nearest types: the GPU asked for with the nearest other counts, then other GPUs of the count
   * asked, larger memory first; of each kind and count the type nearest the vCPUs asked.
   */
  @ParameterizedTest(name = "{0} {1} vCPUs")
  @CsvSource(delimiter = '|', textBlock = """
      A100:1   |   0 | p4d.24xlarge p4de.24xlarge g6e.xlarge p5.4xlarge
      24GB+:3  |   0 | g5.12xlarge g6.12xlarge g6e.12xlarge g5.48xlarge
      A10G:1   | 128 | g5.2xlarge g5.12xlarge g5.48xlarge g6.2xlarge
      500GB+:1 |   0 | g7e.2xlarge p5.4xlarge g6e.xlarge g5.xlarge
      H100:2   |   0 | p5.4xlarge p5.48xlarge g7e.2xlarge g6e.xlarge
      """)
  void theNearestTypesComeFirstOnePerKindOfGpuAndCount(String spec, int cpu, String expected) {
    assertThat(TypeChooser.nearest(GPU_TYPES, gpus(spec, cpu, cpu == 0 ? 0 : 1024, "x86_64"), TypeChooser.NEAREST))
        .extracting(TypeChooser.TypeInfo::name).containsExactly(expected.split(" "));
  }

  @Test
  void aGpuNameTheRegionLacksIsAnsweredWithTheNamesItHas() {
    assertThatThrownBy(() -> TypeChooser.choose(GPU_TYPES, gpus("X100:1", 0, 0, "x86_64"), SPOT, 6))
        .isInstanceOf(AmiException.BadInput.class)
        .hasMessage("no current-generation x86_64 instance type has GPUs 'X100:1' in this region; the GPUs here are"
            + " A100, A10G, B200, B300, Gaudi HL-205, H100, H200, L4, L40S, Radeon Pro V520, RTX PRO Server 6000, T4,"
            + " V100: ask for one of them, or name a type with --instance-type");
  }

  @Test
  void fittingGpuTypesWithoutASpotOfferSaySo() {
    TypeChooser.SpotPrices none = new TypeChooser.SpotPrices(Map.of());
    assertThatThrownBy(() -> TypeChooser.choose(GPU_TYPES, gpus("A100:8", 0, 0, "x86_64"), none, 6))
        .isInstanceOf(AmiException.BadInput.class)
        .hasMessageStartingWith("no current-generation x86_64 instance type has GPUs 'A100:8' with a current spot"
            + " price");
  }

  @Test
  void theListTableShowsTheGpuColumnsWhenGpusAreAsked() {
    TypeChooser.Choice choice = TypeChooser.choose(GPU_TYPES, gpus("A100:8", 0, 0, "x86_64"), SPOT, 6);

    assertThat(ChoiceReport.of(choice).toText()).isEqualTo("""
        instance types with GPUs 'A100:8' (x86_64), cheapest first by current spot price (lowest over the region's AZs):
        TYPE             GPU         COUNT GPU MEM VCPUS  MEMORY MIB   USD/HOUR USD/GPU-HOUR
        p4d.24xlarge     NVIDIA A100     8    40GB    96     1179648      10.50        1.313  <- chosen
        p4de.24xlarge    NVIDIA A100     8    80GB    96     1179648      13.00        1.625
        2 types fit""");
  }

  @Test
  void theListTableWithoutGpusKeepsItsColumns() {
    TypeChooser.Choice choice = TypeChooser.choose(TYPES, EIGHT_BY_64GB, new TypeChooser.OnDemandEstimate(), 2);

    assertThat(ChoiceReport.of(choice).toText()).startsWith("""
        instance types with 8+ vCPUs and 61035+ MiB (x86_64), cheapest first by on-demand estimate""")
        .contains("""
        TYPE             VCPUS  MEMORY MIB GPUS   USD/HOUR
        r5.2xlarge           8       65536    0     0.4720  <- chosen""");
  }
}
