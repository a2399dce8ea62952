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
    LaunchRequest plain = new LaunchRequest("plain", options(), null, null, null, null, false, false, false, false,
        false, false, false, null, POLL);
    LaunchRequest followed = new LaunchRequest("plain", options(), null, null, null, null, false, false, false, false,
        true, false, false, null, POLL);

    assertThat(plain.waitsUntilRunning()).isFalse();
    assertThat(followed.waitsUntilRunning()).isTrue();
    assertThat(plain.spotNotice()).isNull();
  }

  @Test
  void listingNeedsASizeAndNothingThatLaunches() {
    assertThatThrownBy(() -> new LaunchRequest(null, options(), null, null, null, null, true, false, false, false,
        false, false, false, null, POLL))
        .isInstanceOf(AmiException.BadInput.class).hasMessageContaining("add them");
    assertThatThrownBy(() -> new LaunchRequest(null, options(), null, new LaunchRequest.Size(2, 1024), null, null, true,
        true, false, false, false, false, false, null, POLL))
        .isInstanceOf(AmiException.BadInput.class).hasMessageContaining("--list only prints the type table");
    assertThat(new LaunchRequest(null, options(), null, new LaunchRequest.Size(2, 1024), null, null, true, false, false,
        false, false, false, false, null, POLL).project()).isNull();
  }

  @Test
  void aSizeOfNothingIsRefused() {
    assertThatThrownBy(() -> new LaunchRequest(null, options(), null, new LaunchRequest.Size(0, 1024), null, null, true,
        false, false, false, false, false, false, null, POLL))
        .isInstanceOf(AmiException.BadInput.class).hasMessage("--cpu and --memory must be at least 1, were 0 and 1024");
  }

  @Test
  void aLocalLaunchNeedsAnEmulator() {
    assertThatThrownBy(() -> new LaunchRequest("plain", options(), null, null, null, null, false, false, false, false,
        false, true, false, null, POLL))
        .isInstanceOf(AmiException.BadInput.class).hasMessageContaining("add --endpoint-url");
  }

  private static LaunchRequest localNodes(int count, boolean follow, String spotInterruptAfter, Boolean recover) {
    LaunchOptions nodes = new LaunchOptions(null, null, false, List.of(), List.of(), null, null, null, count, null);
    return new LaunchRequest("plain", nodes, null, null, null, null, false, false, false, false, follow, true, true,
        spotInterruptAfter, POLL, new LaunchRequest.RecoveryFlags(recover, null));
  }

  @Test
  void aLocalRunHasUpToFourNodesFollowedTogether() {
    LaunchRequest four = localNodes(LaunchRequest.MAX_LOCAL_NODES, true, null, null);
    four.checkAgainst(ON_DEMAND);

    assertThat(four.follow()).isTrue();
    assertThatThrownBy(() -> localNodes(5, true, null, null))
        .isInstanceOf(AmiException.BadInput.class)
        .hasMessage("--local boots at most 4 instances on this machine (a container each), was 5: use --count 4 or"
            + " less");
    assertThatThrownBy(() -> localNodes(0, false, null, null))
        .isInstanceOf(AmiException.BadInput.class).hasMessage("--count must be at least 1, was 0");
    LaunchOptions two = new LaunchOptions(null, null, false, List.of(), List.of(), null, null, null, 2, null);
    assertThatThrownBy(() -> new LaunchRequest("plain", two, null, null, null, null, false, false, false, false, true,
        false, false, null, POLL))
        .as("on EC2 --follow stays one instance's").isInstanceOf(AmiException.BadInput.class)
        .hasMessageContaining("launch with --count 1");
  }

  @Test
  void aLocalRunOfSeveralNodesNeitherRecoversNorGetsASpotNotice() {
    assertThatThrownBy(() -> localNodes(2, false, null, true))
        .isInstanceOf(AmiException.BadInput.class)
        .hasMessage("--local --count N does not recover (a run of several nodes recovers on EC2 only): drop --recover");
    assertThatThrownBy(() -> localNodes(2, false, null, null).checkAgainst(RECOVERS))
        .isInstanceOf(AmiException.BadInput.class)
        .hasMessageEndingWith("add --no-recover (project recovers recovers by default)");
    localNodes(2, false, null, false).checkAgainst(RECOVERS);
    assertThatThrownBy(() -> localNodes(2, false, "10s", null))
        .isInstanceOf(AmiException.BadInput.class)
        .hasMessage("--spot-interrupt-after interrupts a local run of one instance: drop it, or --count");
    assertThat(localNodes(1, false, "10s", true).spotNotice()).as("one local instance still may")
        .isEqualTo(Duration.ofSeconds(10));
  }

  @Test
  void theSpotNoticeIsForALocalSpotInstance() {
    assertThatThrownBy(() -> new LaunchRequest("plain", options(), null, null, null, null, false, false, false, false,
        false, false, true, "10s", POLL))
        .isInstanceOf(AmiException.BadInput.class).hasMessageContaining("add --local");
    LaunchRequest local = new LaunchRequest("plain", options(), null, null, null, null, false, false, false, false,
        false, true, true, "10s", POLL);

    assertThat(local.spotNotice()).isEqualTo(Duration.ofSeconds(10));
    assertThatThrownBy(() -> local.checkAgainst(ON_DEMAND))
        .isInstanceOf(AmiException.BadInput.class)
        .hasMessage("--spot-interrupt-after interrupts a spot instance: add --spot (project plain launches on demand)");
  }

  @Test
  void namesAreCheckedBeforeAnythingIsAsked() {
    LaunchOptions badKey = new LaunchOptions(null, null, false, List.of(), List.of(), "no/slash", null, null, 1, null);
    assertThatThrownBy(() -> new LaunchRequest("plain", badKey, null, null, null, null, false, false, false, false,
        false, false, false, null, POLL))
        .isInstanceOf(AmiException.BadInput.class).hasMessage("--key-name 'no/slash' is not a key pair name");
  }

  private static final Project GPUS = project("gpus", "ubuntu", """
      {"gpus": "24GB+:1"}""");

  private static LaunchRequest gpus(String instanceType, String gpus, boolean list) {
    return new LaunchRequest(list ? null : "gpus", options(), instanceType, null, gpus, null, list, false, false, false,
        false, false, false, null, POLL);
  }

  @Test
  void aBadGpuSpecIsRefusedNamingItAndTheForms() {
    assertThatThrownBy(() -> gpus(null, "A100:x", false))
        .isInstanceOf(AmiException.BadInput.class)
        .hasMessage("--gpus 'A100:x' is not a GPU spec (the count must be a whole number from 1 to 999); use"
            + " NAME:COUNT (A100:8), MEM+:COUNT (24GB+:1), NAME (L4) or COUNT (1)");
    assertThatThrownBy(() -> gpus("g5.xlarge", "A10G:1", false))
        .isInstanceOf(AmiException.BadInput.class)
        .hasMessage("--gpus picks the instance types, --instance-type names one: drop either");
  }

  @Test
  void theFlagOverridesTheProjectsGpusAndAnInstanceTypeOverridesBoth() {
    assertThat(gpus(null, "A100:8", false).gpuSpec(GPUS).text()).isEqualTo("A100:8");
    assertThat(gpus(null, null, false).gpuSpec(GPUS).text()).isEqualTo("24GB+:1");
    assertThat(gpus(null, null, false).choosesTypes(GPUS)).isTrue();
    assertThat(gpus(null, null, false).choosesTypes(ON_DEMAND)).isFalse();
    assertThat(gpus("g5.xlarge", null, false).gpuSpec(GPUS)).isNull();
    assertThat(gpus("g5.xlarge", null, false).choosesTypes(GPUS)).isFalse();
  }

  @Test
  void listingAProjectsGpusNeedsNoFlag() {
    LaunchRequest list = new LaunchRequest("gpus", options(), null, null, null, null, true, false, false, false, false,
        false, false, null, POLL);

    list.checkList(GPUS);
    assertThatThrownBy(() -> list.checkList(ON_DEMAND))
        .isInstanceOf(AmiException.BadInput.class)
        .hasMessage("--list prints the cheapest types for --cpu N --memory MIB and/or --gpus SPEC (project plain"
            + " names its instance types): add them");
    gpus(null, "1", true).checkList(null);
  }

  private static final Project RECOVERS = project("recovers", "ubuntu", """
      {"instanceTypes": ["t3.micro"], "spot": true, "recover": {"maxAttempts": 3}}""");

  private static LaunchRequest recovery(Boolean recover, String maxHours, boolean templateOnly, boolean fallback) {
    LaunchOptions spot = new LaunchOptions(true, null, fallback, List.of(), List.of(), null, null, null, 1, null);
    return new LaunchRequest("plain", spot, null, null, null, null, false, false, templateOnly, false, false, false,
        false, null, POLL, new LaunchRequest.RecoveryFlags(recover, maxHours));
  }

  @Test
  void recoveryIsTheFlagsElseTheProjectsAndNeverTheSharedTemplates() {
    assertThat(recovery(true, null, false, false).recovers(ON_DEMAND)).isTrue();
    assertThat(recovery(null, null, false, false).recovers(ON_DEMAND)).isFalse();
    assertThat(recovery(null, null, false, false).recovers(RECOVERS)).isTrue();
    assertThat(recovery(false, null, false, false).recovers(RECOVERS)).isFalse();
    assertThat(recovery(null, null, true, false).recovers(RECOVERS)).as("--template-only").isFalse();
    assertThat(recovery(true, null, false, false).recoverSettings(ON_DEMAND).maxAttempts()).isEqualTo(5);
    assertThat(recovery(true, null, false, false).recoverSettings(RECOVERS).maxAttempts()).isEqualTo(3);
    assertThat(recovery(true, "1.5", false, false).maxHours()).isEqualByComparingTo("1.5");
  }

  @Test
  void recoveryFlagsGoOnlyWhereARunRecovers() {
    assertThatThrownBy(() -> recovery(true, null, true, false)).isInstanceOf(AmiException.BadInput.class)
        .hasMessageContaining("--template-only only writes the project's launch template");
    assertThatThrownBy(() -> recovery(null, "2", true, false)).isInstanceOf(AmiException.BadInput.class)
        .hasMessageContaining("drop --recover and --max-hours");
    assertThatThrownBy(() -> recovery(false, "2", false, false)).isInstanceOf(AmiException.BadInput.class)
        .hasMessage("--max-hours is the cost ceiling of a recovering run, and --no-recover asks for none: drop either");
    assertThatThrownBy(() -> recovery(true, null, false, true)).isInstanceOf(AmiException.BadInput.class)
        .hasMessageStartingWith("--on-demand-fallback does not go with --recover");
    assertThatThrownBy(() -> recovery(true, "banana", false, false)).isInstanceOf(AmiException.BadInput.class)
        .hasMessageStartingWith("--max-hours must be a positive number of hours");
    assertThatThrownBy(() -> recovery(null, "2", false, false).checkAgainst(ON_DEMAND))
        .isInstanceOf(AmiException.BadInput.class)
        .hasMessage("--max-hours is the cost ceiling of a recovering run: add --recover (project plain does not"
            + " recover by default)");
    assertThatThrownBy(() -> recovery(null, null, false, true).checkAgainst(RECOVERS))
        .isInstanceOf(AmiException.BadInput.class)
        .hasMessageStartingWith("--on-demand-fallback does not go with recovery (project recovers recovers by"
            + " default; add --no-recover)");
    recovery(null, "2", false, false).checkAgainst(RECOVERS);
  }

  private static LaunchRequest interrupted(String after, Integer attempts) {
    LaunchOptions spot = new LaunchOptions(true, null, false, List.of(), List.of(), null, null, null, 1, null);
    return new LaunchRequest("plain", spot, null, null, null, null, false, false, false, false, true, true, true,
        after, POLL, new LaunchRequest.RecoveryFlags(true, null), attempts);
  }

  @Test
  void theSimulatedSpotNoticeGoesToTheFirstAttemptUnlessMoreAreAsked() {
    assertThat(interrupted("5s", null).spotNoticeAttempts()).isEqualTo(1);
    assertThat(interrupted("5s", 3).spotNoticeAttempts()).isEqualTo(3);
    assertThatThrownBy(() -> interrupted(null, 2)).isInstanceOf(AmiException.BadInput.class)
        .hasMessage("--spot-interrupt-attempts says how many attempts get the notice of --spot-interrupt-after:"
            + " add it");
    assertThatThrownBy(() -> interrupted("5s", 0)).isInstanceOf(AmiException.BadInput.class)
        .hasMessage("--spot-interrupt-attempts must be 1 or more, was 0");
  }

  @Test
  void anAttemptPastTheInterruptedOnesRunsItsJobWithoutTheNotice() {
    InstanceHost.Job job = new InstanceHost.Job(null, true, Duration.ofSeconds(5), POLL, 2);

    assertThat(job.forAttempt(1).spotNotice()).isEqualTo(Duration.ofSeconds(5));
    assertThat(job.forAttempt(2).spotNotice()).isEqualTo(Duration.ofSeconds(5));
    assertThat(job.forAttempt(3).spotNotice()).isNull();
    assertThat(new InstanceHost.Job(null, true, Duration.ofSeconds(5), POLL).forAttempt(2).spotNotice())
        .as("the first attempt only, by default").isNull();
  }
}
