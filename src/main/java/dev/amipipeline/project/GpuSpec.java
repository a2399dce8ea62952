package dev.amipipeline.project;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * GPUs asked for the way ML engineers write them ({@code --gpus} and {@code launch.gpus}):
 * {@code NAME:COUNT} ({@code A100:8}; the name as EC2's GpuInfo gives it, any case),
 * {@code MEM+:COUNT} ({@code 24GB+:1}: each GPU has at least that much memory, as the card is sold),
 * {@code NAME} and {@code MEM+} (count 1) or {@code COUNT} (any GPU). COUNT is exact. Pure.
 *
 * @param text the spec as written, for messages
 * @param name the GPU's name; null = any (a memory or count spec)
 * @param minMemoryGb the least memory per GPU in GB as the card is sold; null = any
 * @param count how many GPUs the instance has, exactly
 */
public record GpuSpec(String text, String name, Integer minMemoryGb, int count) {

  /** The forms, for every message about a spec that is not one. */
  public static final String FORMS = "use NAME:COUNT (A100:8), MEM+:COUNT (24GB+:1), NAME (L4) or COUNT (1)";

  private static final Pattern COUNT = Pattern.compile("\\d{1,3}");
  private static final Pattern MEMORY = Pattern.compile("(\\d{1,4}) ?GB\\+", Pattern.CASE_INSENSITIVE);
  private static final Pattern MEMORY_WITHOUT_PLUS = Pattern.compile("\\d+ ?GB", Pattern.CASE_INSENSITIVE);
  // As EC2 names them: A10G, T4g, Radeon Pro V520, Gaudi HL-205, RTX PRO Server 6000.
  private static final Pattern NAME = Pattern.compile("[A-Za-z][A-Za-z0-9 ._-]{0,63}");

  private static final long MIB = 1024L * 1024;
  private static final double BYTES_PER_GB = 1e9;

  /** A spec that is not one; the message says why and lists the forms. */
  public static final class Invalid extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Invalid(String text, String why) {
      super("'" + text + "' is not a GPU spec (" + why + "); " + FORMS);
    }
  }

  /** @throws Invalid naming the spec, what is wrong with it and the accepted forms */
  public static GpuSpec parse(String text) {
    String spec = text == null ? "" : text.strip();
    if (spec.isEmpty()) {
      throw new Invalid(spec, "it is empty");
    }
    int colon = spec.lastIndexOf(':');
    String head = colon < 0 ? spec : spec.substring(0, colon).strip();
    if (colon < 0 && head.chars().allMatch(Character::isDigit)) {
      return new GpuSpec(spec, null, null, count(spec, head));
    }
    int count = colon < 0 ? 1 : count(spec, spec.substring(colon + 1).strip());
    Matcher memory = MEMORY.matcher(head);
    if (memory.matches()) {
      int gb = Integer.parseInt(memory.group(1));
      if (gb < 1) {
        throw new Invalid(spec, "the memory per GPU must be 1GB or more");
      }
      return new GpuSpec(spec, null, gb, count);
    }
    if (MEMORY_WITHOUT_PLUS.matcher(head).matches()) {
      throw new Invalid(spec, "memory is a minimum, written with a plus: " + head + "+");
    }
    if (!NAME.matcher(head).matches()) {
      throw new Invalid(spec, "'" + head + "' is neither a GPU name nor memory like 24GB+");
    }
    return new GpuSpec(spec, head, null, count);
  }

  private static int count(String spec, String count) {
    if (!COUNT.matcher(count).matches() || Integer.parseInt(count) < 1) {
      throw new Invalid(spec, "the count must be a whole number from 1 to 999");
    }
    return Integer.parseInt(count);
  }

  /** Whether an instance with {@code count} GPUs of this name and memory (MiB per GPU) is what was asked. */
  public boolean matches(String gpuName, long memoryMib, int gpuCount) {
    return gpuCount == count && sameKind(gpuName, memoryMib);
  }

  /** The GPU asked for, whatever the count: the name, or at least the memory; any GPU for a count alone. */
  public boolean sameKind(String gpuName, long memoryMib) {
    if (name != null) {
      return name.equalsIgnoreCase(gpuName);
    }
    return minMemoryGb == null || marketedGb(memoryMib) >= minMemoryGb;
  }

  /**
   * A GPU's memory in GB as the card is sold, from the MiB DescribeInstanceTypes reports. EC2 reports
   * the sold size in one of two ways. Cards sold with a whole number of GiB report exactly that: T4
   * and V100 16GB 16,384 MiB, A100 40GB 40,960, A100 and H100 80GB 81,920, RTX PRO 6000 96GB 98,304,
   * H200 141GB 144,384. The others report the sold size read as decimal gigabytes, in MiB: A10G and
   * L4 24GB 22,888 MiB (24.0 × 10⁹ bytes), L40S 48GB 45,776, B200 192GB 183,359, B300 288GB 275,040,
   * g6f's L4 slices 3, 6 and 12GB 2,861, 5,722 and 11,444. So a whole number of GiB is the size, and
   * any other figure is turned into bytes and rounded to the nearest GB. This gives every GPU in
   * EC2's catalogue its sold size (GpuSpecTest), where rounding MiB/1024 would make the A10G a 22GB
   * card and miss 24GB+.
   */
  public static long marketedGb(long memoryMib) {
    if (memoryMib % 1024 == 0) {
      return memoryMib / 1024;
    }
    return Math.round(memoryMib * MIB / BYTES_PER_GB);
  }

  @Override
  public String toString() {
    return text;
  }
}
