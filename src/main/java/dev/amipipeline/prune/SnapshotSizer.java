package dev.amipipeline.prune;

import dev.amipipeline.aws.AwsErrors;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.concurrent.atomic.AtomicReference;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.ebs.EbsClient;
import software.amazon.awssdk.services.ebs.model.ListSnapshotBlocksResponse;

/**
 * How much storage deleting a snapshot frees: the blocks the EBS direct API lists for it (exact), else
 * the snapshot's volume size (an upper bound). Best effort: a failure here only changes a number.
 */
final class SnapshotSizer {

  /** Blocks listed per call: the API's maximum, so a snapshot takes as few calls as it can. */
  static final int BLOCKS_PER_PAGE = 10_000;

  private static final double BYTES_PER_GIB = 1024d * 1024 * 1024;

  /** A size in GiB; {@code approximateBecause} is null when exact. */
  record Size(double gib, String approximateBecause) {
    boolean exact() {
      return approximateBecause == null;
    }
  }

  private final EbsClient ebs;
  /** Once access is denied, every further call would be too: stop asking. */
  private final AtomicReference<String> denied = new AtomicReference<>();

  /** Without asking: each snapshot's volume size, an upper bound of what deleting it frees. */
  static Map<String, Size> volumeSizes(List<PrunePlan.SnapshotPlan> snapshots) {
    return snapshots.stream().collect(Collectors.toMap(PrunePlan.SnapshotPlan::snapshotId,
        s -> new Size(s.sizeGiB(), "--exact-size asks the EBS direct API for allocated blocks"), (a, b) -> a));
  }

  SnapshotSizer(EbsClient ebs) {
    this.ebs = ebs;
  }

  Size measure(PrunePlan.SnapshotPlan snapshot) {
    String deniedBefore = denied.get();
    if (deniedBefore != null) {
      return new Size(snapshot.sizeGiB(), deniedBefore);
    }
    try {
      long blocks = 0;
      long blockBytes = 0;
      for (ListSnapshotBlocksResponse page : ebs.listSnapshotBlocksPaginator(
          b -> b.snapshotId(snapshot.snapshotId()).maxResults(BLOCKS_PER_PAGE))) {
        blocks += page.blocks().size();
        blockBytes = page.blockSize() == null ? blockBytes : page.blockSize();
      }
      return new Size(blocks * blockBytes / BYTES_PER_GIB, null);
    } catch (SdkException e) {
      String why = "the EBS direct API cannot list its blocks (" + AwsErrors.describe(e) + ")";
      if (AwsErrors.accessDenied(e)) {
        denied.compareAndSet(null, why);
      }
      return new Size(snapshot.sizeGiB(), why);
    }
  }
}
