package dev.amipipeline.launch;

import software.amazon.awssdk.services.ec2.model.CreateFleetError;

/** Why EC2 Fleet could not place some of the capacity, for one type/subnet. */
public record FleetError(String instanceType, String subnetId, String market, String errorCode, String message) {

  static FleetError of(CreateFleetError e) {
    var overrides = e.launchTemplateAndOverrides() == null ? null : e.launchTemplateAndOverrides().overrides();
    return new FleetError(
        overrides == null ? null : overrides.instanceTypeAsString(),
        overrides == null ? null : overrides.subnetId(),
        e.lifecycleAsString(),
        e.errorCode(),
        e.errorMessage());
  }

  @Override
  public String toString() {
    return (market == null ? "" : market + " ") + (instanceType == null ? "?" : instanceType)
        + (subnetId == null ? "" : " in " + subnetId) + ": " + errorCode + " " + (message == null ? "" : message);
  }
}
