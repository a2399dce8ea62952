package dev.amipipeline.bake;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.amipipeline.common.AmiException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PackerVersionTest {

  @ParameterizedTest(name = "{0} -> {1}, init {2}")
  @CsvSource(delimiter = '|', value = {
      "Packer v1.6.6                                                             | 1.6.6  | false",
      "Packer v1.7.0                                                             | 1.7.0  | true",
      "Packer v1.9.4\\n\\nYour version of Packer is out of date! The latest is 1.11.2 | 1.9.4  | true",
      "Packer v1.10.0                                                            | 1.10.0 | true",
      "Packer v2.0.1                                                             | 2.0.1  | true"})
  void parsesTheVersionAndKnowsWhenPluginsNeedInit(String output, String version, boolean init) {
    PackerVersion v = PackerVersion.parse(output.replace("\\n", "\n"));
    assertThat(v).hasToString(version);
    assertThat(v.needsPluginInit()).isEqualTo(init);
  }

  @Test
  void somethingElseIsNotPacker() {
    assertThatThrownBy(() -> PackerVersion.parse("Terraform v1.5.0"))
        .isInstanceOf(AmiException.Failed.class).hasMessageContaining("Terraform v1.5.0");
  }
}
