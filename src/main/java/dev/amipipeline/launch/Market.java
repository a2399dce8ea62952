package dev.amipipeline.launch;

import java.math.BigDecimal;

/** How an instance is paid for: on demand, or one-time spot with an optional price ceiling. */
public sealed interface Market {

  /** The word users and EC2 both use: {@code on-demand} or {@code spot}. */
  String label();

  /** Regular on-demand capacity. */
  record OnDemand() implements Market {
    @Override
    public String label() {
      return "on-demand";
    }
  }

  /** One-time spot capacity, terminated on interruption; {@code maxPrice} null means the on-demand price. */
  record Spot(BigDecimal maxPrice) implements Market {
    public Spot {
      if (maxPrice != null && maxPrice.signum() <= 0) {
        throw new IllegalArgumentException("spot max price must be positive, was " + maxPrice);
      }
    }

    @Override
    public String label() {
      return "spot";
    }
  }

  static Market onDemand() {
    return new OnDemand();
  }
}
