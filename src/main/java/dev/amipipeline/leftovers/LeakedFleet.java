package dev.amipipeline.leftovers;

import java.util.Objects;

/** A recovering run's fleet still active after its run has ended: it costs money until deleted. */
public record LeakedFleet(RunFleet fleet, String why) {
  public LeakedFleet {
    Objects.requireNonNull(fleet, "fleet");
    Objects.requireNonNull(why, "why");
  }
}
