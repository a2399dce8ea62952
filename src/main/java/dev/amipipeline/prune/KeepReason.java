package dev.amipipeline.prune;

import dev.amipipeline.common.Durations;
import java.time.Duration;

/** Why an image stays. An image with no reason is deleted; one reason is enough to keep it. */
public sealed interface KeepReason {

  /** The words shown in the STATUS column and in JSON. */
  String text();

  /** The image {@code <prefix>/<project>/ami-id} points at now. */
  record Current(long version) implements KeepReason {
    @Override
    public String text() {
      return "current (ami-id v" + version + ")";
    }
  }

  /** One of the N-1 ami-id versions before the current one: what a rollback would launch. */
  record RecentVersion(long version) implements KeepReason {
    @Override
    public String text() {
      return "ami-id v" + version;
    }
  }

  /** An instance that is not terminated was started from it. */
  record InUse(String instanceId, String instanceState) implements KeepReason {
    @Override
    public String text() {
      return "in use by " + instanceId + ("running".equals(instanceState) ? "" : " (" + instanceState + ")");
    }
  }

  /** A launch template version names it (any version, not only the default). */
  record InLaunchTemplate(String templateId, long version) implements KeepReason {
    @Override
    public String text() {
      return "in launch template " + templateId + " v" + version;
    }
  }

  /** Among the newest {@code keep} images of its project. */
  record Newest(int keep) implements KeepReason {
    @Override
    public String text() {
      return "newest " + keep;
    }
  }

  /** Younger than --min-age. */
  record TooYoung(Duration age, Duration minAge) implements KeepReason {
    @Override
    public String text() {
      return "too young (" + roughly(age) + " < " + Durations.format(minAge) + ")";
    }
  }

  /** An age in its largest whole unit: 3d, 5h, 12m, 40s. */
  private static String roughly(Duration age) {
    if (age.toDays() > 0) {
      return age.toDays() + "d";
    }
    if (age.toHours() > 0) {
      return age.toHours() + "h";
    }
    return age.toMinutes() > 0 ? age.toMinutes() + "m" : age.toSeconds() + "s";
  }

  /** Still being created (a bake in progress): deregistering it would break that bake. */
  record NotReady(String state) implements KeepReason {
    @Override
    public String text() {
      return state;
    }
  }
}
