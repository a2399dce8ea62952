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
        .map(t -> TypeChooser.Candidate.of(t, new TypeChooser.OnDemandEstimate().hourly(t).orElseThrow()))
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

  @Test
  void gpusListShowsTheCheapestTypesWithThatGpuFromTheRegionsCatalogue(MotoServer moto) throws Exception {
    AwsCallLog.start();
    Cli.Result r = Cli.run(moto, "launch", "--gpus", "A10G:1", "--list", "--output", "json");
    AwsCallLog.stop();

    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(AwsCallLog.calls()).containsOnly("Ec2:DescribeInstanceTypes");
    // Every current x86_64 type whose GpuInfo says one A10G, priced by the documented rule.
    List<InstanceTypeInfo> a10g = aws.ec2().describeInstanceTypesPaginator(b -> { }).instanceTypes().stream()
        .filter(t -> t.gpuInfo() != null && t.gpuInfo().gpus().get(0).name().equals("A10G")
            && t.gpuInfo().gpus().get(0).count() == 1)
        .toList();
    List<String> expected = a10g.stream().map(InstanceTypeCatalog::info)
        .map(t -> TypeChooser.Candidate.of(t, new TypeChooser.OnDemandEstimate().hourly(t).orElseThrow()))
        .sorted(TypeChooser.CHEAPEST).map(TypeChooser.Candidate::instanceType).limit(TypeChooser.TABLE_SIZE).toList();
    assertThat(expected).startsWith("g5.xlarge", "g5.2xlarge");
    JsonNode json = Json.STRICT.readTree(r.out());
    assertThat(json.path("gpus").asText()).isEqualTo("A10G:1");
    assertThat(json.path("fitting").asInt()).isEqualTo(a10g.size());
    assertThat(json.path("table").findValuesAsText("instanceType")).containsExactlyElementsOf(expected);
    JsonNode best = json.path("table").get(0);
    assertThat(best.path("gpuModel").asText()).isEqualTo("NVIDIA A10G");
    assertThat(best.path("gpus").asInt()).isEqualTo(1);
    assertThat(best.path("gpuMemoryGb").asLong()).isEqualTo(24); // 22,888 MiB as EC2 reports it
    assertThat(best.path("usdPerGpuHour").decimalValue()).isEqualByComparingTo(best.path("hourlyUsd").decimalValue());
    assertThat(Bakes.instances(aws)).isEmpty();
  }

  @Test
  void gpusListWithCpuAndMemoryPrintsTheGpuTable(MotoServer moto) {
    Cli.Result r = Cli.run(moto, "launch", "--gpus", "24GB+:1", "--cpu", "8", "--memory", "32768", "--list",
        "--spot");

    assertThat(r.exitCode()).as(r.err()).isZero();
    List<String> lines = r.out().lines().toList();
    assertThat(lines.get(0)).isEqualTo("instance types with GPUs '24GB+:1', 8+ vCPUs and 32768+ MiB (x86_64),"
        + " cheapest first by current spot price (lowest over the region's AZs):");
    assertThat(lines.get(1)).matches("TYPE +GPU +COUNT GPU MEM VCPUS +MEMORY MIB +USD/HOUR USD/GPU-HOUR");
    // moto gives every type the same spot price, so the smallest fitting type leads.
    assertThat(lines.get(2)).matches("g[56]\\.2xlarge +NVIDIA (A10G|L4) +1 +24GB +8 +32768 +\\S+ +\\S+  <- chosen");
    assertThat(lines.subList(2, 2 + TypeChooser.TABLE_SIZE))
        .allSatisfy(l -> assertThat(l).doesNotContain("T4", "Radeon", "16GB"));
  }

  @Test
  void aGpuSpecNothingSatisfiesIsExitTwoNamingItAndTheNearestTypes(MotoServer moto) {
    Cli.Result r = Cli.run(moto, "launch", "--gpus", "A100:1", "--list");

    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.errLines()).singleElement().asString()
        .contains("has GPUs 'A100:1' in this region; nearest: p4d.24xlarge (A100:8 40GB", "p4de.24xlarge (A100:8 80GB");
  }

  @Test
  void aGpuLaunchStartsTheChosenTypeAndAFleetSpreadsOverTheChosenTypes(MotoServer moto) throws Exception {
    Bakes.bake(aws, "demo");

    Cli.Result single = Cli.run(moto, "launch", "--project", "demo", "--gpus", "24GB+:1");

    assertThat(single.exitCode()).as(single.err()).isZero();
    List<String> chosen = chosenTypes(single.err());
    assertThat(chosen).hasSize(TypeChooser.TABLE_SIZE);
    List<String> singleTypes = Bakes.instances(aws).stream().map(i -> i.instanceTypeAsString()).toList();
    assertThat(singleTypes).containsExactly(chosen.get(0));
    InstanceTypeInfo gpu = aws.ec2().describeInstanceTypes(b -> b.instanceTypesWithStrings(chosen.get(0)))
        .instanceTypes().get(0);
    assertThat(gpu.gpuInfo().gpus()).singleElement().satisfies(g -> {
      assertThat(g.count()).isEqualTo(1);
      assertThat(g.memoryInfo().sizeInMiB()).isGreaterThanOrEqualTo(22888);
    });

    Cli.Result fleet = Cli.run(moto, "launch", "--project", "demo", "--gpus", "L4:1", "--count", "3", "--spot",
        "--output", "json");

    assertThat(fleet.exitCode()).as(fleet.err()).isZero();
    List<String> l4 = chosenTypes(fleet.err());
    assertThat(l4).isNotEmpty().allMatch(t -> t.startsWith("g6.") || t.startsWith("gr6."));
    String fleetId = Json.STRICT.readTree(fleet.out()).path("fleetId").asText();
    assertThat(aws.ec2().describeFleets(b -> b.fleetIds(fleetId)).fleets()).singleElement()
        .satisfies(f -> assertThat(f.launchTemplateConfigs().get(0).overrides())
            .extracting(o -> o.instanceTypeAsString()).containsExactlyElementsOf(l4));
  }

  /** The chooser's table as printed on stderr before a launch: its types, cheapest first. */
  private static List<String> chosenTypes(String err) {
    List<String> lines = err.lines().toList();
    int header = lines.indexOf(lines.stream().filter(l -> l.startsWith("TYPE ")).findFirst()
        .orElseThrow(() -> new AssertionError("no table in: " + err)));
    return lines.subList(header + 1, lines.size()).stream().takeWhile(l -> !l.endsWith(" types fit"))
        .map(l -> l.split(" +")[0]).toList();
  }
}
