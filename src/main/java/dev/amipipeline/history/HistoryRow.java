package dev.amipipeline.history;

import java.util.List;

/** One AMI in one region, as recorded in ami-history.md. */
public record HistoryRow(
    String baked,
    String project,
    String region,
    String amiId,
    List<String> snapshotIds,
    String sourceAmi,
    String inputs,
    String commit,
    String status) {

  public static final String CURRENT = "current";
  public static final String KEPT = "kept";
  public static final String PRUNED = "pruned";

  public HistoryRow {
    snapshotIds = List.copyOf(snapshotIds);
  }

  public HistoryRow withStatus(String newStatus) {
    return new HistoryRow(baked, project, region, amiId, snapshotIds, sourceAmi, inputs, commit, newStatus);
  }
}
