package dev.amipipeline.launch;

import dev.amipipeline.project.Project;
import dev.amipipeline.project.ProjectSpec;
import dev.amipipeline.project.Tags;
import dev.amipipeline.results.RunId;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Decides a {@link LaunchPlan} from the project, the flags and the AMI. Pure: no AWS, no clock. */
public final class LaunchPlanner {

  /** The UTC stamp in {@code Name=<project>-<stamp>}. */
  static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC);

  private LaunchPlanner() {}

  /**
   * @param instanceTypes the types to use in order (from --instance-type, the chooser or the project)
   * @param amiParameter the SSM parameter (or {@code name:version}) the AMI id was read from
   * @param run the run this launch starts; null for the project's shared launch template, whose
   *     instances are runs of their own (run id = instance id)
   * @param now when the launch happens, for the Name tag
   */
  public static LaunchPlan plan(Project project, LaunchOptions options, List<String> instanceTypes,
      String amiId, String amiParameter, RunId run, Instant now) {
    return plan(project, options, instanceTypes, amiId, amiParameter, run, now, null);
  }

  /**
   * A launch that recovers when {@code recovery} is given: its instances also carry how many attempts
   * the run gets and when its fleet turns to on demand, which the instance side reads through IMDS.
   */
  public static LaunchPlan plan(Project project, LaunchOptions options, List<String> instanceTypes,
      String amiId, String amiParameter, RunId run, Instant now, Recovery recovery) {
    ProjectSpec.Launch launch = project.spec().launch();
    Market market = options.spotFor(project) ? new Market.Spot(options.maxPrice()) : Market.onDemand();
    Map<String, String> tags = new LinkedHashMap<>();
    tags.put(Tags.PROJECT, project.name());
    tags.put(Tags.NAME, project.name() + "-" + STAMP.format(now));
    if (run != null) {
      tags.put(Tags.RUN, run.value());
      if (options.count() > 1) {
        tags.put(Tags.NODES, Integer.toString(options.count()));
      }
      if (recovery != null) {
        tags.put(Tags.MAX_ATTEMPTS, Integer.toString(recovery.maxAttempts()));
        if (recovery.onDemandAfter() != null) {
          tags.put(Tags.ON_DEMAND_AFTER, Integer.toString(recovery.onDemandAfter()));
        }
      }
    }
    return new LaunchPlan(
        project.name(),
        run == null ? null : run.value(),
        amiId,
        "resolve:ssm:" + amiParameter,
        market,
        options.onDemandFallback(),
        instanceTypes,
        options.subnets().isEmpty() ? launch.subnets() : options.subnets(),
        options.securityGroups().isEmpty() ? launch.securityGroups() : options.securityGroups(),
        options.iamInstanceProfile() != null ? options.iamInstanceProfile() : launch.iamInstanceProfile(),
        options.keyName() != null ? options.keyName() : launch.keyName(),
        blockDevices(project, options),
        tags,
        options.count(),
        options.placement() == null ? null : options.placement().groupName(project.name()),
        run == null ? null : recovery);
  }

  /**
   * A root mapping only when the project sets launch.rootVolume (else the image's own root, which a
   * bake with encryptBoot already encrypted), then the extra data volumes. All are encrypted.
   */
  static List<BlockDevice> blockDevices(Project project, LaunchOptions options) {
    ProjectSpec.Launch launch = project.spec().launch();
    List<BlockDevice> devices = new ArrayList<>();
    ProjectSpec.Volume root = launch.rootVolume();
    if (root != null) {
      String device = options.rootDevice() != null
          ? options.rootDevice()
          : RootDevice.forLoginUser(project.spec().bake().sshUsername());
      devices.add(new BlockDevice(device, root.sizeGiB(), root.type(), root.iops(), root.throughput(), true));
    }
    for (ProjectSpec.ExtraVolume extra : launch.extraVolumes()) {
      devices.add(new BlockDevice(extra.device(), extra.sizeGiB(), extra.type(), null, null,
          extra.deleteOnTermination()));
    }
    return devices;
  }
}
