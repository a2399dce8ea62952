package dev.amipipeline.launch;

import static dev.amipipeline.launch.LaunchFixtures.options;
import static dev.amipipeline.launch.LaunchFixtures.project;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.amipipeline.common.AmiException;
import dev.amipipeline.project.Project;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The rules of launch's flags, without the command line: each broken rule is one BadInput naming the fix. */
class LaunchRequestTest {

  private static final Project ON_DEMAND = project("plain", "ubuntu", """
      {"instanceTypes": ["t3.micro"]}""");
  private static final Duration POLL = Duration.ofSeconds(5);

  @Test
  void aPlainLaunchIsValidAndWaitsOnlyWhenItMust() {
    LaunchRequest plain = new LaunchRequest("plain", options(), null, null, null, false, false, false, false, false,
        false, false, null, POLL);
    LaunchRequest followed = new LaunchRequest("plain", options(), null, null, null, false, false, false, false, true,
        false, false, null, POLL);

    assertThat(plain.waitsUntilRunning()).isFalse();
    assertThat(followed.waitsUntilRunning()).isTrue();
    assertThat(plain.spotNotice()).isNull();
  }

  @Test
  void listingNeedsASizeAndNothingThatLaunches() {
    assertThatThrownBy(() -> new LaunchRequest(null, options(), null, null, null, true, false, false, false, false,
        false, false, null, POLL))
        .isInstanceOf(AmiException.BadInput.class).hasMessageContaining("add both");
    assertThatThrownBy(() -> new LaunchRequest(null, options(), null, new LaunchRequest.Size(2, 1024), null, true,
        true, false, false, false, false, false, null, POLL))
        .isInstanceOf(AmiException.BadInput.class).hasMessageContaining("--list only prints the type table");
    assertThat(new LaunchRequest(null, options(), null, new LaunchRequest.Size(2, 1024), null, true, false, false,
        false, false, false, false, null, POLL).project()).isNull();
  }

  @Test
  void aSizeOfNothingIsRefused() {
    assertThatThrownBy(() -> new LaunchRequest(null, options(), null, new LaunchRequest.Size(0, 1024), null, true,
        false, false, false, false, false, false, null, POLL))
        .isInstanceOf(AmiException.BadInput.class).hasMessage("--cpu and --memory must be at least 1, were 0 and 1024");
  }

  @Test
  void aLocalLaunchNeedsAnEmulatorAndOneInstance() {
    assertThatThrownBy(() -> new LaunchRequest("plain", options(), null, null, null, false, false, false, false,
        false, true, false, null, POLL))
        .isInstanceOf(AmiException.BadInput.class).hasMessageContaining("add --endpoint-url");
    LaunchOptions two = new LaunchOptions(null, null, false, List.of(), List.of(), null, null, null, 2, null);
    assertThatThrownBy(() -> new LaunchRequest("plain", two, null, null, null, false, false, false, false, false,
        true, true, null, POLL))
        .isInstanceOf(AmiException.BadInput.class).hasMessageContaining("drop --count");
  }

  @Test
  void theSpotNoticeIsForALocalSpotInstance() {
    assertThatThrownBy(() -> new LaunchRequest("plain", options(), null, null, null, false, false, false, false,
        false, false, true, "10s", POLL))
        .isInstanceOf(AmiException.BadInput.class).hasMessageContaining("add --local");
    LaunchRequest local = new LaunchRequest("plain", options(), null, null, null, false, false, false, false, false,
        true, true, "10s", POLL);

    assertThat(local.spotNotice()).isEqualTo(Duration.ofSeconds(10));
    assertThatThrownBy(() -> local.checkAgainst(ON_DEMAND))
        .isInstanceOf(AmiException.BadInput.class)
        .hasMessage("--spot-interrupt-after interrupts a spot instance: add --spot (project plain launches on demand)");
  }

  @Test
  void namesAreCheckedBeforeAnythingIsAsked() {
    LaunchOptions badKey = new LaunchOptions(null, null, false, List.of(), List.of(), "no/slash", null, null, 1, null);
    assertThatThrownBy(() -> new LaunchRequest("plain", badKey, null, null, null, false, false, false, false, false,
        false, false, null, POLL))
        .isInstanceOf(AmiException.BadInput.class).hasMessage("--key-name 'no/slash' is not a key pair name");
  }
}
