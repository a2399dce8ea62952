package dev.amipipeline.launch;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.amipipeline.common.Json;
import dev.amipipeline.testing.Cli;
import dev.amipipeline.testing.MotoServer;
import java.math.BigDecimal;
import java.util.List;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.ec2.model.InstanceTypeInfo;

/** The chooser on the emulator's real catalogue of instance types. */
class TypeChooserIT extends EmulatedAws {


  @Test
  void listPrintsTheCheapestFittingTypeOfTheRegionAndLaunchesNothing(MotoServer moto) throws Exception {
    AwsCallLog.start();
    Cli.Result r = Cli.run(moto, "launch", "--cpu", "8", "--memory", "61035", "--list", "--output", "json");
    AwsCallLog.stop();

    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(AwsCallLog.calls()).containsOnly("Ec2:DescribeInstanceTypes");
    JsonNode json = Json.STRICT.readTree(r.out());
    String chosen = json.path("choice").asText();
    List<InstanceTypeInfo> all = aws.ec2().describeInstanceTypesPaginator(b -> { }).instanceTypes().stream().toList();
    // Every current x86_64 type with 8+ vCPUs and 61035+ MiB, priced by the documented rule.
    List<TypeChooser.Candidate> expected = all.stream().map(InstanceTypeCatalog::info)
        .filter(t -> t.currentGeneration() && t.vcpus() >= 8 && t.memoryMib() >= 61035
            && t.architectures().contains("x86_64"))
        .map(t -> new TypeChooser.Candidate(t.name(), t.vcpus(), t.memoryMib(), t.gpus(),
            new TypeChooser.OnDemandEstimate().hourly(t).orElseThrow()))
        .sorted(TypeChooser.CHEAPEST).toList();
    assertThat(expected).hasSizeGreaterThan(TypeChooser.TABLE_SIZE);
    assertThat(chosen).isEqualTo(expected.get(0).instanceType());
    InstanceTypeInfo info = all.stream().filter(t -> t.instanceTypeAsString().equals(chosen)).findFirst().orElseThrow();
    assertThat(info.vCpuInfo().defaultVCpus()).isGreaterThanOrEqualTo(8);
    assertThat(info.memoryInfo().sizeInMiB()).isGreaterThanOrEqualTo(61035);
    assertThat(info.gpuInfo()).isNull();
    assertThat(json.path("fitting").asInt()).isEqualTo(expected.size());
    assertThat(json.path("table")).hasSize(TypeChooser.TABLE_SIZE);
    BigDecimal previous = BigDecimal.ZERO;
    for (JsonNode row : json.path("table")) {
      BigDecimal price = row.path("hourlyUsd").decimalValue();
      assertThat(price).isGreaterThanOrEqualTo(previous);
      previous = price;
    }
    assertThat(Bakes.instances(aws)).isEmpty();
  }

  @Test
  void spotListIsPricedFromSpotPriceHistory(MotoServer moto) {
    Cli.Result r = Cli.run(moto, "launch", "--cpu", "2", "--memory", "4096", "--list", "--spot");

    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.out()).contains("current spot price", "<- chosen", "0.00001");
  }

  @Test
  void cpuAndMemoryLaunchStartsTheChosenType(MotoServer moto) {
    Bakes.bake(aws, "demo");

    Cli.Result r = Cli.run(moto, "launch", "--project", "demo", "--cpu", "2", "--memory", "4096");

    assertThat(r.exitCode()).as(r.err()).isZero();
    String chosen = r.err().lines().filter(l -> l.endsWith("<- chosen")).map(l -> l.split(" +")[0])
        .findFirst().orElseThrow(() -> new AssertionError("no choice in: " + r.err()));
    assertThat(Bakes.instances(aws)).singleElement()
        .satisfies(i -> assertThat(i.instanceTypeAsString()).isEqualTo(chosen));
  }
}
