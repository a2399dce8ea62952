package dev.amipipeline.launch;

/**
 * One EBS volume in a launch's block-device mapping; always encrypted. Null size, iops or throughput
 * mean "the image's or EBS's default".
 */
public record BlockDevice(String deviceName, Integer sizeGiB, String volumeType, Integer iops,
    Integer throughput, boolean deleteOnTermination) {

  public BlockDevice {
    if (deviceName == null || !deviceName.startsWith("/dev/")) {
      throw new IllegalArgumentException("device name must start with /dev/, was " + deviceName);
    }
  }
}
