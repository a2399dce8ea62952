package dev.amipipeline.leftovers;

import dev.amipipeline.aws.AwsErrors;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Supplier;
import software.amazon.awssdk.core.exception.SdkException;

/**
 * One clean-up run's record of its EC2 removals, from any number of threads: each resource removed
 * (or found already gone), or why it could not be. A failure is recorded against its resource and the
 * rest go on; reruns converge, since a resource that is already gone counts as done.
 */
public final class Removals {

  private static final Set<String> ALREADY_GONE = Set.of(
      "InvalidAMIID.NotFound", "InvalidAMIID.Unavailable", "InvalidSnapshot.NotFound",
      "InvalidInstanceID.NotFound", "InvalidKeyPair.NotFound", "InvalidGroup.NotFound",
      "fleetIdDoesNotExist", "InvalidFleetId.NotFound");

  private final Consumer<String> progress;
  private final Set<String> done = ConcurrentHashMap.newKeySet();
  private final Map<String, String> failures = new ConcurrentHashMap<>();

  /** @param progress gets one line per resource: {@code <verb> <resource>}, already gone, or FAILED */
  public Removals(Consumer<String> progress) {
    this.progress = progress;
  }

  /** Runs {@code call}, which removes {@code resource}, and records how that went. */
  public void attempt(String resource, String verb, Supplier<?> call) {
    try {
      call.get();
      done.add(resource);
      progress.accept(verb + " " + resource);
    } catch (SdkException e) {
      if (ALREADY_GONE.contains(AwsErrors.code(e))) {
        done.add(resource);
        progress.accept(resource + " was already gone");
      } else {
        failures.put(resource, AwsErrors.describe(e));
        progress.accept("FAILED " + resource + ": " + AwsErrors.describe(e));
      }
    }
  }

  /** Records that {@code resource} was not removed, and why, without a call. */
  public void failed(String resource, String why) {
    failures.put(resource, why);
  }

  public boolean isDone(String resource) {
    return done.contains(resource);
  }

  /** The resources removed or found already gone. */
  public Set<String> done() {
    return Set.copyOf(done);
  }

  /** Each resource that could not be removed, with why. */
  public Map<String, String> failures() {
    return Map.copyOf(failures);
  }
}
