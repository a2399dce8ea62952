package dev.amipipeline.launcher;

import static dev.amipipeline.launcher.FirstBootIT.BUCKET;
import static dev.amipipeline.launcher.FirstBootIT.FIRST_BOOT;
import static dev.amipipeline.launcher.FirstBootIT.INSTANCE_ID;
import static dev.amipipeline.launcher.FirstBootIT.LOG_URI;
import static dev.amipipeline.launcher.FirstBootIT.RESULTS;
import static org.assertj.core.api.Assertions.assertThat;

import dev.amipipeline.aws.AwsClients;
import dev.amipipeline.aws.AwsSettings;
import dev.amipipeline.local.MetadataService;
import dev.amipipeline.project.RunConfig;
import dev.amipipeline.testing.IamUsers;
import dev.amipipeline.testing.MotoExtension;
import dev.amipipeline.testing.MotoServer;
import dev.amipipeline.testing.Shell;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.ssm.model.ParameterType;

/**
 * launcher/first-boot with the credentials of the instance role alone (scripts/iam/instance.json),
 * under moto's IAM enforcement: it reads its run configuration and a SecureString it references,
 * and writes its results under its project's log prefix; another project's role cannot write them.
 * (That a role cannot read another project's parameters moto cannot check, as it does not compare
 * SSM resources: PolicyDocumentTest checks that on the document.)
 */
@ExtendWith(MotoExtension.class)
class InstanceRoleIT {

  private static final String SECRET = "/ami-pipeline/demo/secrets/token";

  @TempDir Path tmp;
  private Path root;
  private MetadataService imds;
  private AwsClients aws;
  private IamUsers iam;

  @BeforeEach
  void setUp(MotoServer moto) throws IOException {
    root = Files.createDirectories(tmp.resolve("root"));
    Files.createDirectories(root.resolve("etc/ami-pipeline"));
    Files.writeString(root.resolve("etc/ami-pipeline/env"), "AMI_SSM_PREFIX=/ami-pipeline\n");
    Path powerOff = tmp.resolve("poweroff");
    Files.writeString(powerOff, "#!/bin/sh\necho poweroff >> '" + tmp.resolve("poweroff.calls") + "'\n");
    Files.setPosixFilePermissions(powerOff, PosixFilePermissions.fromString("rwxr-xr-x"));
    imds = MetadataService.start(INSTANCE_ID, MotoServer.REGION, FirstBootIT.AMI_ID);
    imds.userData(FirstBootIT.USER_DATA);
    aws = AwsClients.create(new AwsSettings(MotoServer.REGION, null, moto.endpoint()));
    aws.s3(Region.of(MotoServer.REGION)).createBucket(b -> b.bucket(BUCKET));
    aws.ssm().putParameter(b -> b.name(SECRET).type(ParameterType.SECURE_STRING).value("s3cr3t-v@lue"));
    Path expected = Files.writeString(tmp.resolve("expected-token"), "s3cr3t-v@lue");
    JobRepo repo = JobRepo.create(tmp);
    String run = new RunConfig(repo.url(), "main", "test \"$TOKEN\" = \"$(cat " + expected + ")\" && echo token-ok",
        "root", Map.of("TOKEN", "ssm:" + SECRET), LOG_URI, true, 0).toJson();
    aws.ssm().putParameter(b -> b.name("/ami-pipeline/demo/run").type(ParameterType.STRING).value(run));
    iam = new IamUsers(moto);
  }

  @AfterEach
  void tearDown() {
    iam.close();
    imds.close();
    aws.close();
  }

  @Test
  void theProjectsInstanceRoleRunsTheJobAndWritesItsResults() throws IOException {
    Shell.Result boot = bootWithTheRoleOf("demo");

    assertThat(boot.exitCode()).as(boot.out()).isZero();
    assertThat(Files.readString(root.resolve("var/log/ami-pipeline/job.log"))).contains("token-ok");
    assertThat(boot.out()).contains("env TOKEN: resolved from SSM parameter " + SECRET).doesNotContain("s3cr3t");
    assertThat(s3Keys()).contains(RESULTS + "job.log", RESULTS + "exit-status.json");
  }

  @Test
  void anotherProjectsInstanceRoleCannotWriteThisProjectsResults() throws IOException {
    Shell.Result boot = bootWithTheRoleOf("ml");

    assertThat(s3Keys()).as("nothing written under runs/demo/").isEmpty();
    assertThat(boot.out()).contains("upload of exit-status.json to s3://" + BUCKET + "/" + RESULTS + " failed")
        .contains("AccessDenied");
    assertThat(Files.readAllLines(tmp.resolve("poweroff.calls"))).as("a failed upload never keeps the instance up")
        .hasSize(1);
  }

  /** first-boot of a demo instance, with the instance role of {@code project} alone and IAM enforced. */
  private Shell.Result bootWithTheRoleOf(String project) {
    Map<String, String> role = iam.user(project + "-instance", IamUsers.policy("instance",
        Map.of("PROJECT", project, "LOG_BUCKET", BUCKET, "LOG_PREFIX", "runs")));
    iam.enforce();
    try {
      return boot(role);
    } finally {
      iam.relax();
    }
  }

  private Shell.Result boot(Map<String, String> credentials) {
    Map<String, String> env = new LinkedHashMap<>(credentials);
    env.put("AMI_ROOT", root.toString());
    env.put("AMI_IMDS_ENDPOINT", imds.endpoint().toString());
    env.put("AMI_POWEROFF", tmp.resolve("poweroff").toString());
    return Shell.run(List.of(FIRST_BOOT.toString()), env, Duration.ofMinutes(2));
  }

  private List<String> s3Keys() {
    return aws.s3(Region.of(MotoServer.REGION)).listObjectsV2Paginator(b -> b.bucket(BUCKET)).contents().stream()
        .map(S3Object::key).toList();
  }
}
