package dev.amipipeline.launch;

import dev.amipipeline.common.AmiException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.Collectors;
import software.amazon.awssdk.awscore.exception.AwsServiceException;

/**
 * Tries a launch's attempts in order until one gets capacity. Only "no capacity here" errors move on
 * to the next instance type / subnet (/ on-demand); any other error stops at once, since trying
 * elsewhere would fail the same way. The launcher is a function so this loop is independent of EC2.
 */
public final class CapacityFallback {

  /** EC2 error codes that mean "not here, not now": another type, subnet or market may work. */
  static final Set<String> NO_CAPACITY = Set.of(
      "InsufficientInstanceCapacity",
      "InsufficientCapacity",
      "SpotMaxPriceTooLow",
      "capacity-not-available",
      "Unsupported");

  /** An attempt EC2 turned down for capacity, and what it said. */
  public record Refusal(LaunchPlan.Attempt attempt, String errorCode, String message) {
    @Override
    public String toString() {
      return attempt + ": " + errorCode;
    }
  }

  /** The first attempt that got capacity, its result, and the ones refused before it. */
  public record Granted<T>(T result, LaunchPlan.Attempt attempt, List<Refusal> refusals) {
    public Granted {
      refusals = List.copyOf(refusals);
    }
  }

  private CapacityFallback() {}

  /**
   * @param say receives one line per fallback ("… has no capacity; trying …")
   * @throws AmiException.Failed when every attempt was refused for capacity
   */
  public static <T> Granted<T> firstGranted(List<LaunchPlan.Attempt> attempts, Function<LaunchPlan.Attempt, T> launch,
      Consumer<String> say) {
    if (attempts.isEmpty()) {
      throw new IllegalArgumentException("nothing to attempt");
    }
    List<Refusal> refusals = new ArrayList<>();
    for (int i = 0; i < attempts.size(); i++) {
      LaunchPlan.Attempt attempt = attempts.get(i);
      try {
        return new Granted<>(launch.apply(attempt), attempt, refusals);
      } catch (AwsServiceException e) {
        String code = e.awsErrorDetails() == null ? null : e.awsErrorDetails().errorCode();
        if (!NO_CAPACITY.contains(code)) {
          throw e;
        }
        refusals.add(new Refusal(attempt, code, e.awsErrorDetails().errorMessage()));
        say.accept(attempt + ": no capacity (" + code + ")"
            + (i + 1 < attempts.size() ? "; trying " + attempts.get(i + 1) : ""));
      }
    }
    boolean spotOnly = attempts.stream().allMatch(a -> a.market() instanceof Market.Spot);
    throw new AmiException.Failed("no capacity for any choice (" + refusals.stream().map(Refusal::toString)
        .collect(Collectors.joining(", ")) + "): add instance types or subnets to the project"
        + (spotOnly ? ", or pass --on-demand-fallback" : ", or try again later"));
  }
}
