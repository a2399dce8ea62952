package dev.amipipeline.launch;

import dev.amipipeline.common.Report;
import java.util.ArrayList;
import java.util.List;

/**
 * The type chooser's table: the choice first, then the runners-up. With GPUs asked for it shows each
 * type's GPU, count, memory per GPU and price per GPU-hour too.
 *
 * @param gpus the GPU spec asked for; null = none
 */
public record ChoiceReport(int cpu, long memoryMib, String gpus, String architecture, String pricing, String choice,
    List<TypeChooser.Candidate> table, int fitting, int unpriced) implements Report {

  public ChoiceReport {
    table = List.copyOf(table);
  }

  public static ChoiceReport of(TypeChooser.Choice c) {
    TypeChooser.Requirement need = c.requirement();
    return new ChoiceReport(need.cpu(), need.memoryMib(), need.gpus() == null ? null : need.gpus().text(),
        need.architecture(), c.pricing(), c.best().instanceType(), c.table(), c.fitting(), c.unpriced());
  }

  @Override
  public String toText() {
    List<String> lines = new ArrayList<>();
    lines.add("instance types with " + TypeChooser.Requirement.describe(cpu, memoryMib, gpus) + " (" + architecture
        + "), cheapest first by " + pricing + ":");
    if (gpus == null) {
      lines.add(String.format("%-16s %5s %11s %4s %10s", "TYPE", "VCPUS", "MEMORY MIB", "GPUS", "USD/HOUR"));
      for (TypeChooser.Candidate c : table) {
        lines.add(String.format("%-16s %5d %11d %4d %10s%s", c.instanceType(), c.vcpus(), c.memoryMib(), c.gpus(),
            c.hourlyUsd().toPlainString(), chosen(c)));
      }
    } else {
      int model = Math.max(3, table.stream().mapToInt(c -> c.gpuModel().length()).max().orElse(0));
      String row = "%-16s %-" + model + "s %5s %7s %5s %11s %10s %12s%s";
      lines.add(String.format(row, "TYPE", "GPU", "COUNT", "GPU MEM", "VCPUS", "MEMORY MIB", "USD/HOUR", "USD/GPU-HOUR",
          ""));
      for (TypeChooser.Candidate c : table) {
        lines.add(String.format(row, c.instanceType(), c.gpuModel(), c.gpus(), c.gpuMemoryGb() + "GB", c.vcpus(),
            c.memoryMib(), c.hourlyUsd().toPlainString(), c.usdPerGpuHour().toPlainString(), chosen(c)));
      }
    }
    lines.add(fitting + " types fit" + (unpriced > 0 ? "; " + unpriced + " have no spot price and are left out" : ""));
    return String.join("\n", lines);
  }

  private String chosen(TypeChooser.Candidate c) {
    return c.instanceType().equals(choice) ? "  <- chosen" : "";
  }
}
