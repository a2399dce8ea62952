package dev.amipipeline.project;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class GpuSpecTest {

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', nullValues = "-", textBlock = """
      A100:8                   | A100                | -   | 8
      a10g:1                   | a10g                | -   | 1
      L4                       | L4                  | -   | 1
      1                        | -                   | -   | 1
      8                        | -                   | -   | 8
      24GB+:1                  | -                   | 24  | 1
      40gb+:8                  | -                   | 40  | 8
      24GB+                    | -                   | 24  | 1
      ' H100 : 2 '             | H100                | -   | 2
      Radeon Pro V520:1        | Radeon Pro V520     | -   | 1
      Gaudi HL-205:8           | Gaudi HL-205        | -   | 8
      """)
  void acceptsEachForm(String text, String name, Integer minMemoryGb, int count) {
    GpuSpec spec = GpuSpec.parse(text);

    assertThat(spec.name()).isEqualTo(name);
    assertThat(spec.minMemoryGb()).isEqualTo(minMemoryGb);
    assertThat(spec.count()).isEqualTo(count);
    assertThat(spec.text()).isEqualTo(text.strip());
  }

  @ParameterizedTest(name = "[{0}] {1}")
  @CsvSource(delimiter = '|', textBlock = """
      ''           | it is empty
      A100:x       | the count must be a whole number from 1 to 999
      A100:0       | the count must be a whole number from 1 to 999
      0            | the count must be a whole number from 1 to 999
      A100:1000    | the count must be a whole number from 1 to 999
      A100:-1      | the count must be a whole number from 1 to 999
      24GB:1       | memory is a minimum, written with a plus: 24GB+
      0GB+:1       | the memory per GPU must be 1GB or more
      24MB+:1      | '24MB+' is neither a GPU name nor memory like 24GB+
      A100:8:2     | 'A100:8' is neither a GPU name nor memory like 24GB+
      :2           | '' is neither a GPU name nor memory like 24GB+
      8xA100       | '8xA100' is neither a GPU name nor memory like 24GB+
      """)
  void refusesWithTheReasonAndTheForms(String text, String why) {
    assertThatThrownBy(() -> GpuSpec.parse(text))
        .isInstanceOf(GpuSpec.Invalid.class)
        .hasMessage("'" + text + "' is not a GPU spec (" + why + "); use NAME:COUNT (A100:8), MEM+:COUNT (24GB+:1),"
            + " NAME (L4) or COUNT (1)");
  }

  /**
   * Every GPU in EC2's catalogue, as DescribeInstanceTypes reports its memory (moto 5.2.1's copy,
   * moto/ec2/resources/instance_types.json.gz: GpuInfo.Gpus[].MemoryInfo.SizeInMiB), and the size the
   * card is sold with. p3.2xlarge's V100 16GB, which moto's copy lacks, reports 16,384 MiB like the T4.
   */
  @ParameterizedTest(name = "{0} {1} MiB = {2}GB")
  @CsvSource(delimiter = '|', textBlock = """
      Radeon Pro V520       |   8192 |   8
      T4                    |  16384 |  16
      T4g                   |  16384 |  16
      V100                  |  32768 |  32
      Gaudi HL-205          |  32768 |  32
      A100                  |  40960 |  40
      A100                  |  81920 |  80
      H100                  |  81920 |  80
      RTX PRO Server 6000   |  98304 |  96
      H200                  | 144384 | 141
      A10G                  |  22888 |  24
      L4                    |  22888 |  24
      L4 (g6f.large slice)  |   2861 |   3
      L4 (g6f.2xlarge)      |   5722 |   6
      L4 (g6f.4xlarge)      |  11444 |  12
      L40S                  |  45776 |  48
      B200                  | 183359 | 192
      B300                  | 275040 | 288
      """)
  void memoryIsTheSizeTheCardIsSoldWith(String gpu, long memoryMib, long gb) {
    assertThat(GpuSpec.marketedGb(memoryMib)).isEqualTo(gb);
  }

  @ParameterizedTest(name = "{0} on {1} {2} MiB x{3}: {4}")
  @CsvSource(delimiter = '|', textBlock = """
      24GB+:1  | A10G  | 22888 | 1 | true
      24GB+:1  | L4    | 22888 | 1 | true
      24GB+:1  | T4    | 16384 | 1 | false
      24GB+:1  | L4    | 22888 | 4 | false
      40GB+:8  | A100  | 40960 | 8 | true
      40GB+:8  | A100  | 81920 | 8 | true
      40GB+:8  | V100  | 32768 | 8 | false
      a100:8   | A100  | 81920 | 8 | true
      A100:8   | H100  | 81920 | 8 | false
      L4       | L4    | 22888 | 1 | true
      L4       | L4    |  2861 | 0 | false
      1        | T4    | 16384 | 1 | true
      1        | T4    | 16384 | 4 | false
      """)
  void countIsExactAndMemoryAtLeast(String spec, String gpu, long memoryMib, int count, boolean matches) {
    assertThat(GpuSpec.parse(spec).matches(gpu, memoryMib, count)).isEqualTo(matches);
  }
}
