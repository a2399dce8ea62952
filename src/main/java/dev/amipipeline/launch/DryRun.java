package dev.amipipeline.launch;

import java.util.function.Supplier;
import software.amazon.awssdk.services.ec2.model.Ec2Exception;

/**
 * EC2's permission check: a request sent with DryRun=true fails with {@code DryRunOperation} when it
 * would have succeeded, and with {@code UnauthorizedOperation} (left to the error policy) when not.
 */
final class DryRun {

  static final String WOULD_SUCCEED = "DryRunOperation: the request would have succeeded";

  private DryRun() {}

  static String check(Supplier<?> call) {
    try {
      call.get();
    } catch (Ec2Exception e) {
      if (e.awsErrorDetails() != null && "DryRunOperation".equals(e.awsErrorDetails().errorCode())) {
        return WOULD_SUCCEED;
      }
      throw e;
    }
    // An endpoint that ignores DryRun has just done it for real: say so rather than pretend.
    return "the endpoint ignored DryRun and ran the request";
  }
}
