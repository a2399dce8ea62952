package dev.amipipeline.launch;

import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.InstanceLifecycleType;

/** One started instance as the report shows it; addresses are null until EC2 assigns them. */
public record LaunchedInstance(String instanceId, String instanceType, String availabilityZone, String subnetId,
    String market, String state, String publicIp, String privateIp) {

  public LaunchedInstance {
    if (instanceId == null || !instanceId.startsWith("i-")) {
      throw new IllegalArgumentException("not an instance id: " + instanceId);
    }
  }

  public static LaunchedInstance of(Instance i) {
    return new LaunchedInstance(i.instanceId(), i.instanceTypeAsString(),
        i.placement() == null ? null : i.placement().availabilityZone(), i.subnetId(),
        i.instanceLifecycle() == InstanceLifecycleType.SPOT ? "spot" : "on-demand",
        i.state() == null ? null : i.state().nameAsString(), i.publicIpAddress(), i.privateIpAddress());
  }
}
