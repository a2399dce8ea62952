package dev.amipipeline.cds;

import static org.assertj.core.api.Assertions.assertThat;

import dev.amipipeline.aws.AwsClients;
import dev.amipipeline.aws.AwsSettings;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The training run's stand-in must give answers the SDK parses into real values: an answer it
 * cannot parse would leave the reading side out of the AppCDS archive without anyone noticing.
 */
class TrainingEndpointTest {

  static TrainingEndpoint endpoint;
  static AwsClients aws;

  @BeforeAll
  static void start() throws Exception {
    System.setProperty("aws.accessKeyId", "cds-training");
    System.setProperty("aws.secretAccessKey", "cds-training");
    endpoint = TrainingEndpoint.start();
    aws = AwsClients.create(new AwsSettings("us-east-1", null, endpoint.uri()));
  }

  @AfterAll
  static void stop() {
    aws.close();
    endpoint.close();
    System.clearProperty("aws.accessKeyId");
    System.clearProperty("aws.secretAccessKey");
  }

  @Test
  void ec2AnswersParseIntoImagesSnapshotsInstancesAndTemplates() {
    var image = aws.ec2().describeImages(b -> b.owners("self")).images().get(0);
    assertThat(image.imageId()).isEqualTo("ami-12345678");
    assertThat(image.blockDeviceMappings().get(0).ebs().snapshotId()).isEqualTo("snap-12345678");
    assertThat(image.tags()).hasSize(1);
    assertThat(aws.ec2().describeSnapshots(b -> b.ownerIds("self")).snapshots().get(0).volumeSize()).isEqualTo(8);
    assertThat(aws.ec2().describeInstances().reservations().get(0).instances().get(0).state().nameAsString())
        .isEqualTo("running");
    assertThat(aws.ec2().runInstances(b -> b.imageId("ami-12345678").minCount(1).maxCount(1)).instances())
        .singleElement().extracting(i -> i.placement().availabilityZone()).isEqualTo("us-east-1a");
    assertThat(aws.ec2().describeLaunchTemplates().launchTemplates().get(0).defaultVersionNumber()).isEqualTo(1L);
    assertThat(aws.ec2().waiter().waitUntilImageAvailable(b -> b.imageIds("ami-12345678")).matched().response())
        .isPresent();
  }

  @Test
  void launchTemplateAndFleetAnswersParse() {
    assertThat(aws.ec2().createLaunchTemplate(b -> b.launchTemplateName("cds")).launchTemplate().launchTemplateId())
        .isEqualTo("lt-12345678");
    assertThat(aws.ec2().createLaunchTemplateVersion(b -> b.launchTemplateId("lt-12345678")).launchTemplateVersion()
        .versionNumber()).isEqualTo(1L);
    assertThat(aws.ec2().describeLaunchTemplateVersions(b -> b.launchTemplateId("lt-12345678"))
        .launchTemplateVersions().get(0).launchTemplateData().imageId()).isEqualTo("ami-12345678");
    var fleet = aws.ec2().createFleet(b -> b.type("instant"));
    assertThat(fleet.fleetId()).isEqualTo("fleet-12345678");
    assertThat(fleet.instances().get(0).instanceIds()).containsExactly("i-12345678");
  }

  @Test
  void answersAboutARecoveringRunsFleetParse() {
    var fleet = aws.ec2().describeFleets().fleets().get(0);
    assertThat(fleet.fleetId()).isEqualTo("fleet-12345678");
    assertThat(fleet.typeAsString()).isEqualTo("maintain");
    assertThat(fleet.fleetStateAsString()).isEqualTo("active");
    assertThat(fleet.validUntil()).isNotNull();
    assertThat(fleet.tags()).hasSize(2);
    assertThat(aws.ec2().describeFleetInstances(b -> b.fleetId("fleet-12345678")).activeInstances())
        .extracting(i -> i.instanceId()).containsExactly("i-12345678");
    assertThat(aws.ec2().deleteFleets(b -> b.fleetIds("fleet-12345678").terminateInstances(true))
        .successfulFleetDeletions()).extracting(d -> d.currentFleetStateAsString()).containsExactly("deleted_terminating");
  }

  @Test
  void ssmStsAndS3AnswersParse() {
    assertThat(aws.ssm().getParameter(b -> b.name("/ami-pipeline/cds/ami-id")).parameter().value())
        .isEqualTo("ami-12345678");
    assertThat(aws.ssm().getParameterHistory(b -> b.name("/ami-pipeline/cds/ami-id")).parameters()).hasSize(1);
    assertThat(aws.ssm().putParameter(b -> b.name("/x").value("v")).version()).isEqualTo(1L);
    assertThat(aws.sts().getCallerIdentity().account()).isEqualTo("123456789012");
    assertThat(aws.s3(aws.region()).headObject(b -> b.bucket("cds-training").key("k")).eTag()).isEqualTo("\"cds\"");
  }

  @Test
  void answersOfRunsLogsAndCancelParse() {
    var listing = aws.s3(aws.region()).listObjectsV2(b -> b.bucket("cds-training").prefix("cds/").delimiter("/"));
    assertThat(listing.contents()).extracting(o -> o.key()).containsExactly("cds/run.json");
    assertThat(listing.commonPrefixes()).extracting(p -> p.prefix()).containsExactly("cds/i-12345678/");
    assertThat(aws.s3(aws.region()).getObjectAsBytes(b -> b.bucket("cds-training").key("cds/run.json")).asByteArray())
        .isEmpty();
    assertThat(aws.ec2().getConsoleOutput(b -> b.instanceId("i-12345678")).output()).isEqualTo("Y2RzCg==");
    assertThat(aws.ec2().terminateInstances(b -> b.instanceIds("i-12345678")).terminatingInstances()).isEmpty();
  }
}
