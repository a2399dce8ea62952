package dev.amipipeline.launch;

import dev.amipipeline.common.AmiException;
import dev.amipipeline.project.GpuSpec;
import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Picks the cheapest current-generation instance types with at least the vCPUs and memory asked for
 * and exactly the GPUs asked for, for the image's architecture. Pure: it ranks the types and prices
 * it is given.
 */
public final class TypeChooser {

  /** How many types the table shows: the choice and its runners-up. */
  public static final int TABLE_SIZE = 6;

  /** How many near misses answer a GPU spec no type satisfies. */
  static final int NEAREST = 4;

  /**
   * The GPUs of one instance type, from GpuInfo (EC2 lists one kind of GPU per type).
   *
   * @param count whole GPUs; 0 for a slice of one (g6f)
   * @param memoryMib per GPU (or slice), as EC2 reports it
   */
  public record Gpu(String manufacturer, String name, int count, long memoryMib) {
    /** As the card is sold; see {@link GpuSpec#marketedGb}. */
    public long memoryGb() {
      return GpuSpec.marketedGb(memoryMib);
    }

    /** e.g. {@code A10G:1 24GB}. */
    String describe() {
      return name + ":" + count + " " + memoryGb() + "GB";
    }
  }

  /** What DescribeInstanceTypes says about one type, as far as choosing goes; {@code gpu} null = none. */
  public record TypeInfo(String name, int vcpus, long memoryMib, Gpu gpu, long instanceStorageGb,
      List<String> architectures, boolean currentGeneration) {
    public TypeInfo {
      architectures = List.copyOf(architectures);
    }

    /** Whole GPUs. */
    public int gpus() {
      return gpu == null ? 0 : gpu.count();
    }
  }

  /**
   * What the job needs: at least {@code cpu} vCPUs and {@code memoryMib} (0 = any) and, when
   * {@code gpus} is given, exactly those GPUs.
   */
  public record Requirement(int cpu, long memoryMib, GpuSpec gpus, String architecture) {
    public Requirement {
      if (cpu < 0 || memoryMib < 0 || gpus == null && (cpu < 1 || memoryMib < 1)) {
        // The flags are checked (and worded for the user) in LaunchRequest; this guards other callers.
        throw new IllegalArgumentException("cpu and memoryMib must be at least 1 (0 with gpus), were " + cpu
            + " and " + memoryMib);
      }
    }

    boolean fits(TypeInfo t) {
      return t.currentGeneration() && t.vcpus() >= cpu && t.memoryMib() >= memoryMib
          && t.architectures().contains(architecture)
          && (gpus == null || t.gpu() != null && gpus.matches(t.gpu().name(), t.gpu().memoryMib(), t.gpus()));
    }

    /** How far a type's vCPUs and memory fall short of the ask, each as a fraction of it; 0 = enough. */
    double shortfall(TypeInfo t) {
      return (cpu > t.vcpus() ? (cpu - t.vcpus()) / (double) cpu : 0)
          + (memoryMib > t.memoryMib() ? (memoryMib - t.memoryMib()) / (double) memoryMib : 0);
    }

    /** e.g. {@code GPUs 'A10G:1', 8+ vCPUs and 32768+ MiB}. */
    public String describe() {
      return describe(cpu, memoryMib, gpus == null ? null : gpus.text());
    }

    static String describe(int cpu, long memoryMib, String gpus) {
      String size = cpu + "+ vCPUs and " + memoryMib + "+ MiB";
      if (gpus == null) {
        return size;
      }
      return "GPUs '" + gpus + "'" + (cpu > 0 || memoryMib > 0 ? ", " + size : "");
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
   * 0.00275 per GiB-hour), plus 0.00006 per GB-hour of instance storage. A GPU is priced by its
   * memory, the best single measure of its class: 0.033 USD per GB-hour, which puts the 24GB A10G at
   * 0.79 (g5.xlarge: 1.00, list 1.006) and orders single-GPU types as their list prices do (8GB
   * Radeon, 16GB T4, 24GB A10G/L4, 48GB L40S, 80GB H100), where one price per GPU would leave them
   * to be told apart by their local disks.
   */
  public record OnDemandEstimate() implements Pricing {
    static final BigDecimal PER_VCPU = new BigDecimal("0.037");
    static final BigDecimal PER_GIB = new BigDecimal("0.00275");
    static final BigDecimal PER_GPU_GB = new BigDecimal("0.033");
    static final BigDecimal PER_STORAGE_GB = new BigDecimal("0.00006");

    @Override
    public Optional<BigDecimal> hourly(TypeInfo t) {
      BigDecimal gib = BigDecimal.valueOf(t.memoryMib()).divide(BigDecimal.valueOf(1024), 6, RoundingMode.HALF_UP);
      // A slice of a GPU (count 0) is priced by the memory of the slice.
      long gpuGb = t.gpu() == null ? 0 : Math.max(1, t.gpus()) * t.gpu().memoryGb();
      return Optional.of(PER_VCPU.multiply(BigDecimal.valueOf(t.vcpus()))
          .add(PER_GIB.multiply(gib))
          .add(PER_GPU_GB.multiply(BigDecimal.valueOf(gpuGb)))
          .add(PER_STORAGE_GB.multiply(BigDecimal.valueOf(t.instanceStorageGb())))
          .setScale(4, RoundingMode.HALF_UP));
    }

    @Override
    public String describe() {
      return "on-demand estimate (0.037 USD/vCPU-h + 0.00275/GiB-h + 0.033/GB-h of GPU memory"
          + " + 0.00006/GB-h local disk)";
    }
  }

  /**
   * One row of the table; the GPU fields are absent for a type without GPUs.
   *
   * @param gpuMemoryGb per GPU, as the card is sold
   * @param usdPerGpuHour {@code hourlyUsd} over the GPUs
   */
  public record Candidate(String instanceType, int vcpus, long memoryMib, int gpus, String gpuModel,
      Long gpuMemoryGb, BigDecimal hourlyUsd, BigDecimal usdPerGpuHour) {

    private static final MathContext PER_GPU_DIGITS = new MathContext(4, RoundingMode.HALF_UP);

    static Candidate of(TypeInfo t, BigDecimal hourlyUsd) {
      Gpu gpu = t.gpu();
      return new Candidate(t.name(), t.vcpus(), t.memoryMib(), t.gpus(),
          gpu == null ? null : gpu.manufacturer() + " " + gpu.name(),
          gpu == null ? null : gpu.memoryGb(),
          hourlyUsd,
          t.gpus() == 0 ? null : hourlyUsd.divide(BigDecimal.valueOf(t.gpus()), PER_GPU_DIGITS));
    }
  }

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

  /**
   * Ties go to fewer vCPUs, then less memory, then the name, so the result is stable. GPU counts are
   * exact, so the cheapest per hour is also the cheapest per GPU-hour.
   */
  static final Comparator<Candidate> CHEAPEST = Comparator.comparing(Candidate::hourlyUsd)
      .thenComparingInt(Candidate::vcpus)
      .thenComparingLong(Candidate::memoryMib)
      .thenComparing(Candidate::instanceType);

  /** The current-generation types of the right architecture with enough vCPUs and memory and the GPUs asked. */
  public static List<TypeInfo> fitting(List<TypeInfo> types, Requirement need) {
    return types.stream().filter(need::fits).toList();
  }

  public static Choice choose(List<TypeInfo> types, Requirement need, Pricing pricing, int tableSize) {
    List<TypeInfo> fitting = fitting(types, need);
    List<Candidate> priced = fitting.stream()
        .flatMap(t -> pricing.hourly(t).stream().map(p -> Candidate.of(t, p)))
        .sorted(CHEAPEST)
        .toList();
    if (priced.isEmpty()) {
      throw new AmiException.BadInput(nothingFits(types, need, fitting.isEmpty() ? null : pricing));
    }
    return new Choice(need, pricing.describe(), priced.subList(0, Math.min(tableSize, priced.size())),
        fitting.size(), fitting.size() - priced.size());
  }

  /** What to tell a user whose ask no type satisfies (or, with {@code pricing}, none with a price). */
  private static String nothingFits(List<TypeInfo> types, Requirement need, Pricing pricing) {
    String none = "no current-generation " + need.architecture() + " instance type has " + need.describe()
        + (pricing == null ? "" : " with a " + pricing.describe()) + " in this region";
    GpuSpec gpus = need.gpus();
    if (gpus == null || pricing != null) {
      return none + ": ask for less, or name a type with --instance-type";
    }
    List<TypeInfo> withGpus = withGpus(types, need);
    if (withGpus.isEmpty()) {
      return none + ", nor any with a GPU: name a type with --instance-type";
    }
    if (gpus.name() != null && withGpus.stream().noneMatch(t -> gpus.sameKind(t.gpu().name(), 0))) {
      String names = withGpus.stream().map(t -> t.gpu().name()).distinct().sorted(String.CASE_INSENSITIVE_ORDER)
          .collect(Collectors.joining(", "));
      return none + "; the GPUs here are " + names + ": ask for one of them, or name a type with --instance-type";
    }
    return none + "; nearest: " + nearest(types, need, NEAREST).stream()
        .map(t -> t.name() + " (" + t.gpu().describe() + ", " + t.vcpus() + " vCPUs, " + t.memoryMib() + " MiB)")
        .collect(Collectors.joining(", ")) + ": ask for one of these, or name a type with --instance-type";
  }

  /**
   * The types closest to a GPU spec that none satisfies, one per kind of GPU and count: the GPU asked
   * for with the nearest other counts first, then other GPUs, the nearest count and memory first (a
   * larger one before a smaller); of each kind and count, the type nearest the vCPUs and memory asked.
   */
  static List<TypeInfo> nearest(List<TypeInfo> types, Requirement need, int max) {
    GpuSpec spec = need.gpus();
    List<TypeInfo> withGpus = withGpus(types, need);
    // The memory to be near: the least asked, or the smallest of the GPU named.
    long targetGb = spec.minMemoryGb() != null ? spec.minMemoryGb() : withGpus.stream()
        .filter(t -> spec.sameKind(t.gpu().name(), t.gpu().memoryMib()))
        .mapToLong(t -> t.gpu().memoryGb()).min().orElse(0);
    Comparator<TypeInfo> closest = Comparator
        .comparing((TypeInfo t) -> !spec.sameKind(t.gpu().name(), t.gpu().memoryMib()))
        .thenComparingDouble(t -> Math.abs(log2(t.gpus()) - log2(spec.count())))
        .thenComparing(t -> t.gpu().memoryGb() < targetGb)
        .thenComparingLong(t -> Math.abs(t.gpu().memoryGb() - targetGb))
        .thenComparingDouble(need::shortfall)
        .thenComparingInt(TypeInfo::vcpus)
        .thenComparingLong(TypeInfo::memoryMib)
        .thenComparing(TypeInfo::name);
    Map<String, TypeInfo> firstOfEachKind = new LinkedHashMap<>();
    withGpus.stream().sorted(closest).forEach(t -> firstOfEachKind.putIfAbsent(
        t.gpu().name().toLowerCase(Locale.ROOT) + ":" + t.gpus() + ":" + t.gpu().memoryGb(), t));
    return firstOfEachKind.values().stream().limit(max).toList();
  }

  /** The current-generation types of the architecture with whole GPUs. */
  private static List<TypeInfo> withGpus(List<TypeInfo> types, Requirement need) {
    return types.stream()
        .filter(t -> t.currentGeneration() && t.gpus() > 0 && t.architectures().contains(need.architecture()))
        .toList();
  }

  private static double log2(int n) {
    return Math.log(n) / Math.log(2);
  }
}
