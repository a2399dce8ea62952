package dev.amipipeline.launch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.amipipeline.common.AmiException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class UserDataTest {

  @Test
  void isExactlyTheProjectLineAndANewline() {
    assertThat(UserData.of("ml")).isEqualTo("AMI_PROJECT=ml\n");
    assertThat(new String(Base64.getDecoder().decode(UserData.base64("demo")), StandardCharsets.US_ASCII))
        .isEqualTo("AMI_PROJECT=demo\n");
  }

  @Test
  void refusesNamesThatCouldInjectMoreLines() {
    assertThatThrownBy(() -> UserData.of("ml\nSECRET=1")).isInstanceOf(AmiException.BadInput.class);
  }
}
