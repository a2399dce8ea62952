package dev.amipipeline.project;

import static org.assertj.core.api.Assertions.assertThat;

import dev.amipipeline.aws.AwsClients;
import dev.amipipeline.aws.AwsSettings;
import dev.amipipeline.testing.Ec2Seed;
import dev.amipipeline.testing.MotoExtension;
import dev.amipipeline.testing.MotoServer;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.services.ssm.model.Parameter;
import software.amazon.awssdk.services.ssm.model.ParameterType;

@ExtendWith(MotoExtension.class)
class ProjectParametersIT {

  @Test
  void recordsBakesAsVersionsOfTheAmiIdParameter(MotoServer moto) {
    try (AwsClients aws = AwsClients.create(new AwsSettings(MotoServer.REGION, null, moto.endpoint()))) {
      Ec2Seed seed = new Ec2Seed(aws.ec2());
      Ec2Seed.SeededImage first = seed.bakedImage("demo", "demo-1", 2);
      Ec2Seed.SeededImage second = seed.bakedImage("demo", "demo-2", 1);
      ProjectParameters params = new ProjectParameters(aws.ssm(), new ParameterNames("/ami-pipeline", "demo"));
      assertThat(params.currentAmiId()).isEmpty();
      assertThat(params.amiIdHistory()).isEmpty();

      assertThat(params.recordBake(first.amiId(), first.snapshotIds(), "{\"repo\":\"r\"}")).isEqualTo(1);
      assertThat(params.recordBake(second.amiId(), second.snapshotIds(), "{\"repo\":\"r2\"}")).isEqualTo(2);

      assertThat(params.currentAmiId()).contains(second.amiId());
      assertThat(params.amiId(1)).contains(first.amiId());
      assertThat(params.amiId(7)).isEmpty();
      assertThat(params.snapshotIds()).isEqualTo(second.snapshotIds());
      assertThat(params.amiIdHistory()).extracting(ProjectParameters.AmiVersion::amiId)
          .containsExactly(second.amiId(), first.amiId());

      Parameter amiParam = aws.ssm().getParameter(b -> b.name("/ami-pipeline/demo/ami-id")).parameter();
      assertThat(amiParam.dataType()).isEqualTo("aws:ec2:image");
      Parameter snaps = aws.ssm().getParameter(b -> b.name("/ami-pipeline/demo/snapshot-ids")).parameter();
      assertThat(snaps.type()).isEqualTo(ParameterType.STRING_LIST);
      assertThat(aws.ssm().getParameter(b -> b.name("/ami-pipeline/demo/run")).parameter().value())
          .isEqualTo("{\"repo\":\"r2\"}");
      assertThat(aws.ec2().describeImages(b -> b.imageIds(first.amiId())).images().get(0).tags())
          .contains(Ec2Seed.tag(Tags.PROJECT, "demo"));
      assertThat(List.of(first.snapshotIds().size(), second.snapshotIds().size())).containsExactly(2, 1);

      params.recordBake(first.amiId(), List.of(), "{}");
      assertThat(params.snapshotIds()).as("no stale list for an AMI without snapshots").isEmpty();
    }
  }
}
