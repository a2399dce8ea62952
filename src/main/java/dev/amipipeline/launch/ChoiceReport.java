package dev.amipipeline.launch;

import dev.amipipeline.common.Report;
import java.util.ArrayList;
import java.util.List;

/** The type chooser's table: the choice first, then the runners-up. */
public record ChoiceReport(int cpu, long memoryMib, String architecture, String pricing, String choice,
    List<TypeChooser.Candidate> table, int fitting, int unpriced) implements Report {

  public ChoiceReport {
    table = List.copyOf(table);
  }

  public static ChoiceReport of(TypeChooser.Choice c) {
    return new ChoiceReport(c.requirement().cpu(), c.requirement().memoryMib(), c.requirement().architecture(),
        c.pricing(), c.best().instanceType(), c.table(), c.fitting(), c.unpriced());
  }

  @Override
  public String toText() {
    List<String> lines = new ArrayList<>();
    lines.add("instance types with " + cpu + "+ vCPUs and " + memoryMib + "+ MiB (" + architecture
        + "), cheapest first by " + pricing + ":");
    lines.add(String.format("%-16s %5s %11s %4s %10s", "TYPE", "VCPUS", "MEMORY MIB", "GPUS", "USD/HOUR"));
    for (TypeChooser.Candidate c : table) {
      lines.add(String.format("%-16s %5d %11d %4d %10s%s", c.instanceType(), c.vcpus(), c.memoryMib(), c.gpus(),
          c.hourlyUsd().toPlainString(), c.instanceType().equals(choice) ? "  <- chosen" : ""));
    }
    lines.add(fitting + " types fit" + (unpriced > 0 ? "; " + unpriced + " have no spot price and are left out" : ""));
    return String.join("\n", lines);
  }
}
