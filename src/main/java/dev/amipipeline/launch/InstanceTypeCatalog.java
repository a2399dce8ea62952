package dev.amipipeline.launch;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.GpuDeviceInfo;
import software.amazon.awssdk.services.ec2.model.GpuInfo;
import software.amazon.awssdk.services.ec2.model.InstanceTypeInfo;
import software.amazon.awssdk.services.ec2.model.SpotPrice;

/** The edge the type chooser reads: the region's instance types and their current spot prices. */
public final class InstanceTypeCatalog {

  private final Ec2Client ec2;

  public InstanceTypeCatalog(Ec2Client ec2) {
    this.ec2 = ec2;
  }

  /** Every instance type offered in the region (DescribeInstanceTypes, all pages). */
  public List<TypeChooser.TypeInfo> all() {
    return ec2.describeInstanceTypesPaginator(b -> b.maxResults(100)).instanceTypes().stream()
        .map(InstanceTypeCatalog::info)
        .toList();
  }

  /** The lowest current Linux spot price of each type over the region's AZs. */
  public TypeChooser.SpotPrices spotPrices(List<String> types, Instant now) {
    Map<String, BigDecimal> lowest = ec2.describeSpotPriceHistoryPaginator(b -> b
            .instanceTypesWithStrings(types)
            .productDescriptions("Linux/UNIX", "Linux/UNIX (Amazon VPC)")
            .startTime(now))
        .spotPriceHistory().stream()
        .collect(Collectors.toMap(SpotPrice::instanceTypeAsString, p -> new BigDecimal(p.spotPrice()), BigDecimal::min));
    return new TypeChooser.SpotPrices(lowest);
  }

  static TypeChooser.TypeInfo info(InstanceTypeInfo t) {
    long storage = t.instanceStorageInfo() == null || t.instanceStorageInfo().totalSizeInGB() == null ? 0
        : t.instanceStorageInfo().totalSizeInGB();
    return new TypeChooser.TypeInfo(
        t.instanceTypeAsString(),
        t.vCpuInfo() == null || t.vCpuInfo().defaultVCpus() == null ? 0 : t.vCpuInfo().defaultVCpus(),
        t.memoryInfo() == null || t.memoryInfo().sizeInMiB() == null ? 0 : t.memoryInfo().sizeInMiB(),
        gpu(t.gpuInfo()),
        storage,
        t.processorInfo() == null ? List.of() : t.processorInfo().supportedArchitecturesAsStrings(),
        Boolean.TRUE.equals(t.currentGeneration()));
  }

  /** EC2 lists one kind of GPU per type; null = no GPU. */
  private static TypeChooser.Gpu gpu(GpuInfo info) {
    if (info == null || info.gpus().isEmpty()) {
      return null;
    }
    GpuDeviceInfo first = info.gpus().get(0);
    return new TypeChooser.Gpu(first.manufacturer(), first.name(),
        info.gpus().stream().mapToInt(g -> g.count() == null ? 0 : g.count()).sum(),
        first.memoryInfo() == null || first.memoryInfo().sizeInMiB() == null ? 0 : first.memoryInfo().sizeInMiB());
  }
}
