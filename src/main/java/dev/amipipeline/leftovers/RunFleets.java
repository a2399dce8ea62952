package dev.amipipeline.leftovers;

import dev.amipipeline.project.Tags;
import java.util.List;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.DeleteFleetErrorItem;
import software.amazon.awssdk.services.ec2.model.Ec2Exception;
import software.amazon.awssdk.services.ec2.model.Filter;

/**
 * The EC2 edge of recovering runs' fleets: reading them (DescribeFleets, paginated; it has no tag
 * filter, so the project and run tags are matched here) and deleting one with its instances.
 */
public final class RunFleets {

  private RunFleets() {}

  /** Every {@code maintain} fleet tagged {@code ami-pipeline:project} that is still active. */
  public static List<RunFleet> active(Ec2Client ec2) {
    return ec2.describeFleetsPaginator(b -> b.filters(
            Filter.builder().name("fleet-state").values(RunFleet.ACTIVE).build(),
            Filter.builder().name("type").values(RunFleet.MAINTAIN).build()))
        .fleets().stream().map(RunFleet::of)
        // An endpoint may ignore the filters: they are checked again here.
        .filter(f -> RunFleet.ACTIVE.contains(f.state()) && RunFleet.MAINTAIN.equals(f.type()))
        .filter(f -> f.tags().containsKey(Tags.PROJECT))
        .toList();
  }

  /**
   * Deletes the fleet and terminates its instances (DeleteFleets TerminateInstances=true). A deletion
   * EC2 reports as unsuccessful is thrown as an {@link Ec2Exception} with its code, as a refused call
   * would be: {@code fleetIdDoesNotExist} means it is already gone.
   */
  public static void delete(Ec2Client ec2, String fleetId) {
    List<DeleteFleetErrorItem> failed = ec2.deleteFleets(b -> b.fleetIds(fleetId).terminateInstances(true))
        .unsuccessfulFleetDeletions();
    if (!failed.isEmpty() && failed.get(0).error() != null) {
      String code = failed.get(0).error().codeAsString();
      String message = failed.get(0).error().message();
      throw (Ec2Exception) Ec2Exception.builder().message(code + ": " + message)
          .awsErrorDetails(AwsErrorDetails.builder().errorCode(code).errorMessage(message).serviceName("Ec2").build())
          .build();
    }
  }
}
