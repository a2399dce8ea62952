package dev.amipipeline.prune;

import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What a prune run did: the resources it removed (or found already gone) and, for each one it could not
 * remove, why. A dry run did nothing.
 */
public record Execution(Set<String> done, Map<String, String> failures) {

  public Execution {
    done = Set.copyOf(done);
    failures = Map.copyOf(failures);
    Set<String> both = new TreeSet<>(done);
    both.retainAll(failures.keySet());
    if (!both.isEmpty()) {
      throw new IllegalArgumentException("both done and failed: " + both);
    }
  }

  public static Execution nothing() {
    return new Execution(Set.of(), Map.of());
  }

  public Map<String, String> sortedFailures() {
    return new TreeMap<>(failures);
  }
}
