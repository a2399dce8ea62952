package dev.amipipeline.launch;

import dev.amipipeline.common.AmiException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Picks the cheapest current-generation instance type with at least the vCPUs and memory asked for,
 * for the image's architecture. Pure: it ranks the types and prices it is given.
 */
public final class TypeChooser {

  /** How many types the table shows: the choice and its runners-up. */
  public static final int TABLE_SIZE = 6;

  /** What DescribeInstanceTypes says about one type, as far as choosing goes. */
  public record TypeInfo(String name, int vcpus, long memoryMib, int gpus, long instanceStorageGb,
      List<String> architectures, boolean currentGeneration) {
    public TypeInfo {
      architectures = List.copyOf(architectures);
    }
  }

  /** What the job needs. */
  public record Requirement(int cpu, long memoryMib, String architecture) {
    public Requirement {
      if (cpu < 1 || memoryMib < 1) {
        // The flags are checked (and worded for the user) in LaunchRequest; this guards other callers.
        throw new IllegalArgumentException("cpu and memoryMib must be at least 1, were " + cpu + " and " + memoryMib);
      }
    }

    boolean fits(TypeInfo t) {
      return t.currentGeneration() && t.vcpus() >= cpu && t.memoryMib() >= memoryMib
          && t.architectures().contains(architecture);
    }
  }

  /** Where a type's hourly price comes from. */
  public sealed interface Pricing {
    Optional<BigDecimal> hourly(TypeInfo type);

    /** Shown with the table, so the user knows what the prices mean. */
    String describe();
  }

  /** The lowest current spot price of each type over the region's AZs (DescribeSpotPriceHistory). */
  public record SpotPrices(Map<String, BigDecimal> lowest) implements Pricing {
    public SpotPrices {
      lowest = Map.copyOf(lowest);
    }

    @Override
    public Optional<BigDecimal> hourly(TypeInfo type) {
      return Optional.ofNullable(lowest.get(type.name()));
    }

    @Override
    public String describe() {
      return "current spot price (lowest over the region's AZs)";
    }
  }

  /**
   * An on-demand estimate for ranking, not a bill: EC2 has no price API of its own (the Pricing API
   * is a separate service and permission), and on-demand prices grow nearly linearly with size. The
   * rates are fitted to us-east-1 Linux list prices (m5/c5/r5: about 0.037 USD per vCPU-hour and
   * 0.00275 per GiB-hour), plus 0.80 per GPU-hour and 0.00006 per GB-hour of instance storage so
   * GPU and storage-heavy types rank behind plain ones of the same size.
   */
  public record OnDemandEstimate() implements Pricing {
    static final BigDecimal PER_VCPU = new BigDecimal("0.037");
    static final BigDecimal PER_GIB = new BigDecimal("0.00275");
    static final BigDecimal PER_GPU = new BigDecimal("0.80");
    static final BigDecimal PER_STORAGE_GB = new BigDecimal("0.00006");

    @Override
    public Optional<BigDecimal> hourly(TypeInfo t) {
      BigDecimal gib = BigDecimal.valueOf(t.memoryMib()).divide(BigDecimal.valueOf(1024), 6, RoundingMode.HALF_UP);
      return Optional.of(PER_VCPU.multiply(BigDecimal.valueOf(t.vcpus()))
          .add(PER_GIB.multiply(gib))
          .add(PER_GPU.multiply(BigDecimal.valueOf(t.gpus())))
          .add(PER_STORAGE_GB.multiply(BigDecimal.valueOf(t.instanceStorageGb())))
          .setScale(4, RoundingMode.HALF_UP));
    }

    @Override
    public String describe() {
      return "on-demand estimate (0.037 USD/vCPU-h + 0.00275/GiB-h + 0.80/GPU-h + 0.00006/GB-h local disk)";
    }
  }

  /** One row of the table. */
  public record Candidate(String instanceType, int vcpus, long memoryMib, int gpus, BigDecimal hourlyUsd) {}

  /**
   * The ranked table, cheapest first; {@code fitting} counts every type that fits, {@code unpriced}
   * those left out for want of a price (no spot offer).
   */
  public record Choice(Requirement requirement, String pricing, List<Candidate> table, int fitting, int unpriced) {
    public Choice {
      if (table.isEmpty()) {
        throw new IllegalArgumentException("a choice has at least one candidate");
      }
      table = List.copyOf(table);
    }

    public Candidate best() {
      return table.get(0);
    }

    public List<Candidate> runnersUp() {
      return table.subList(1, table.size());
    }

    public List<String> typesInOrder() {
      return table.stream().map(Candidate::instanceType).toList();
    }
  }

  private TypeChooser() {}

  /** Ties go to fewer vCPUs, then less memory, then the name, so the result is stable. */
  static final Comparator<Candidate> CHEAPEST = Comparator.comparing(Candidate::hourlyUsd)
      .thenComparingInt(Candidate::vcpus)
      .thenComparingLong(Candidate::memoryMib)
      .thenComparing(Candidate::instanceType);

  /** The current-generation types of the right architecture with enough vCPUs and memory. */
  public static List<TypeInfo> fitting(List<TypeInfo> types, Requirement need) {
    return types.stream().filter(need::fits).toList();
  }

  public static Choice choose(List<TypeInfo> types, Requirement need, Pricing pricing, int tableSize) {
    List<TypeInfo> fitting = fitting(types, need);
    List<Candidate> priced = fitting.stream()
        .flatMap(t -> pricing.hourly(t).stream()
            .map(p -> new Candidate(t.name(), t.vcpus(), t.memoryMib(), t.gpus(), p)))
        .sorted(CHEAPEST)
        .toList();
    if (priced.isEmpty()) {
      throw new AmiException.BadInput("no current-generation " + need.architecture() + " instance type has "
          + need.cpu() + "+ vCPUs and " + need.memoryMib() + "+ MiB"
          + (fitting.isEmpty() ? "" : " with a " + pricing.describe())
          + " in this region: ask for less, or name a type with --instance-type");
    }
    return new Choice(need, pricing.describe(), priced.subList(0, Math.min(tableSize, priced.size())),
        fitting.size(), fitting.size() - priced.size());
  }
}
