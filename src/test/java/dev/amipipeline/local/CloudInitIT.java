package dev.amipipeline.local;

import static dev.amipipeline.local.LocalStack.host;
import static dev.amipipeline.local.LocalStack.instanceIdIn;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.amipipeline.common.Json;
import dev.amipipeline.project.ProjectParameters;
import dev.amipipeline.testing.MotoServer;
import dev.amipipeline.testing.Shell;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * An image whose project installs Debian's cloud-init boots clean under it, with the same one line
 * of user-data: baked once with {@code --local-root} (src/test/resources/projects/cloud-init.json,
 * whose package cache scripts/test prepares), then started with {@code ami launch --local}, where
 * cloud-init reads the instance's user-data and id from a NoCloud seed as it reads them from EC2's
 * metadata service. The job, which first-boot runs after cloud-init's final stage, prints
 * cloud-init's own verdict from inside the instance into job.log.
 *
 * <p>Two boots of the one bake: the image as baked, and the same image without
 * 99-ami-pipeline.cfg, as an image baked without it would be (made here from the first and
 * recorded under a project of its own). The second shows what the setting prevents, so this test
 * can fail: cloud-init takes our line for user-data to run (Debian 12's cloud-init 22.4 logs a
 * WARNING; 23.4 and later end "degraded", and {@code cloud-init status} exits 2).
 */
class CloudInitIT {

  static final String PROJECT = "cloud-init";
  static final String WITHOUT_SETTING = "cloud-init-unset";
  static final String SETTING = "etc/cloud/cloud.cfg.d/99-ami-pipeline.cfg";
  static final Pattern LOG_SUMMARY = Pattern.compile("cloud-init\\.log: (\\d+) lines, (\\d+) WARNING");

  /** cloud-init's verdict as the instance sees it; the job itself always succeeds. */
  static final String REPORTS_CLOUD_INIT = """
      #!/bin/bash
      cloud-init status --long
      echo "cloud-init status exit $?"
      echo "cloud-init instance id: $(cloud-init query instance_id)"
      log=/var/log/cloud-init.log
      if [[ -f $log ]]; then
        echo "cloud-init.log: $(wc -l <$log) lines, $(grep -c WARNING $log) WARNING"
        grep -e WARNING -e 'discarding user-data' $log
      fi
      exit 0
      """;

  @RegisterExtension static final LocalStack local = new LocalStack();
  @TempDir static Path tmp;
  static LocalStack.Baked baked;

  @BeforeAll
  static void bakeAnImageWithCloudInit() {
    local.addProject(PROJECT, local.projectFrom(Shell.REPO.resolve("src/test/resources/projects/cloud-init.json")));
    baked = local.baked(PROJECT);
  }

  @BeforeEach
  void publishTheJob() {
    local.jobs.publish(REPORTS_CLOUD_INIT);
  }

  @Test
  void cloudInitRunsAtFirstBootAndEndsDoneWithoutErrorsOrWarnings() throws IOException {
    assertThat(baked.result().err()).contains("45-packages: installed cloud-init", "wrote /" + SETTING,
        "90-validate: the image is ready");

    Shell.Result launch = local.ami("launch", "--project", PROJECT, "--local");

    assertThat(launch.exitCode()).as(launch.err()).isZero();
    assertThat(launch.err()).contains("the image has cloud-init");
    String instanceId = instanceIdIn(launch.out());
    assertThat(local.userData(instanceId)).as("the contract, unchanged").isEqualTo("AMI_PROJECT=" + PROJECT + "\n");
    String job = jobLog(PROJECT, instanceId);
    System.out.println("cloud-init on " + instanceId + ", as the job saw it:\n" + job);

    assertThat(job).as("cloud-init ran from the seed, as this instance")
        .contains("DataSourceNoCloud [seed=/var/lib/cloud/seed/nocloud]", "cloud-init instance id: " + instanceId);
    assertThat(job.lines().filter(l -> l.startsWith("status:") || l.startsWith("extended_status:")))
        .isNotEmpty().allMatch(l -> l.endsWith(": done"));
    assertThat(job).contains("cloud-init status exit 0");
    // cloud-init 23.4 and later list them; 22.4 fails the status instead ("status: error").
    assertThat(job.lines().filter(l -> l.startsWith("errors:") || l.startsWith("recoverable_errors:")))
        .allMatch(l -> l.endsWith("[]") || l.endsWith("{}"));
    assertThat(job).as("it read our line and left it to first-boot")
        .contains("allow_userdata = False: discarding user-data");
    Matcher summary = summary(job);
    assertThat(Integer.parseInt(summary.group(1))).as("cloud-init.log lines").isPositive();
    assertThat(Integer.parseInt(summary.group(2))).as("WARNING lines in cloud-init.log").isZero();
  }

  @Test
  void withoutTheSettingCloudInitTakesTheLineForUserDataToRun() throws IOException {
    recordImageWithoutTheSetting();

    Shell.Result launch = local.ami("launch", "--project", WITHOUT_SETTING, "--local");

    assertThat(launch.exitCode()).as(launch.err()).isZero();
    String instanceId = instanceIdIn(launch.out());
    String job = jobLog(WITHOUT_SETTING, instanceId);
    System.out.println("cloud-init on " + instanceId + " without " + SETTING + ", as the job saw it:\n" + job);
    // cloud-init quotes the first bytes of what it could not handle.
    assertThat(job).contains("WARNING]: Unhandled non-multipart (text/x-not-multipart) userdata: 'b'AMI_PROJECT=");
    assertThat(Integer.parseInt(summary(job).group(2))).as("WARNING lines in cloud-init.log").isPositive();
  }

  /**
   * The baked image without the setting, as the local image of another AMI id, and that AMI
   * recorded for project {@link #WITHOUT_SETTING} with the same run configuration, as a bake
   * records it.
   */
  static void recordImageWithoutTheSetting() throws IOException {
    ImageStore images = new ImageStore(local.state.resolve("images"));
    Path root = tmp.resolve("without-setting");
    RootArchive.extract(images.path(baked.amiId()), root);
    Files.delete(root.resolve(SETTING));
    String copy = local.aws.ec2().copyImage(b -> b.sourceImageId(baked.amiId()).sourceRegion(MotoServer.REGION)
        .name(WITHOUT_SETTING)).imageId();
    images.save(root, List.of(copy));
    host("rm", "-rf", "--one-file-system", root.toString());

    ProjectParameters recorded = local.parameters(PROJECT);
    local.parameters(WITHOUT_SETTING).recordBake(copy, recorded.snapshotIds(), recorded.runConfigJson().orElseThrow());
    local.addProject(WITHOUT_SETTING, local.projectFrom(local.projects.resolve(PROJECT + ".json")));
  }

  /** job.log as first-boot shipped it to the emulator's S3, after the job's exit status. */
  static String jobLog(String project, String instanceId) throws IOException {
    String results = local.resultsOf(project, instanceId);
    JsonNode status = Json.OUTPUT.readTree(local.s3Text(results + "exit-status.json"));
    assertThat(status.get("reason").asText()).isEqualTo("exited");
    assertThat(status.get("exitCode").asInt()).isZero();
    return local.s3Text(results + "job.log");
  }

  static Matcher summary(String job) {
    Matcher summary = LOG_SUMMARY.matcher(job);
    assertThat(summary.find()).as("cloud-init's log exists: %s", job).isTrue();
    return summary;
  }
}
