package dev.amipipeline.project;

import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import software.amazon.awssdk.services.ssm.SsmClient;
import software.amazon.awssdk.services.ssm.model.ParameterNotFoundException;
import software.amazon.awssdk.services.ssm.model.ParameterType;
import software.amazon.awssdk.services.ssm.model.ParameterVersionNotFoundException;

/**
 * The edge to one project's parameters in one region's Parameter Store: the only code that reads or
 * writes {@code ami-id}, {@code snapshot-ids} and {@code run}. (The bake lock is the bake's own.)
 */
public final class ProjectParameters {

  /** One version of {@code ami-id}. */
  public record AmiVersion(long version, String amiId, Instant modified) {}

  private final SsmClient ssm;
  private final ParameterNames names;

  public ProjectParameters(SsmClient ssm, ParameterNames names) {
    this.ssm = ssm;
    this.names = names;
  }

  public ParameterNames names() {
    return names;
  }

  /** The current AMI id, or empty when the project was never baked here. */
  public Optional<String> currentAmiId() {
    return value(names.amiId());
  }

  /** Version {@code n} of {@code ami-id}, or empty when there is no such version. */
  public Optional<String> amiId(long version) {
    return value(names.amiIdVersion(version));
  }

  /** Every version of {@code ami-id}, newest first (SSM keeps the last 100). */
  public List<AmiVersion> amiIdHistory() {
    try {
      return ssm.getParameterHistoryPaginator(b -> b.name(names.amiId())).stream()
          .flatMap(page -> page.parameters().stream())
          .map(p -> new AmiVersion(p.version(), p.value(), p.lastModifiedDate()))
          .sorted(Comparator.comparingLong(AmiVersion::version).reversed())
          .toList();
    } catch (ParameterNotFoundException e) {
      return List.of();
    }
  }

  /** The run configuration JSON the instances read at first boot, or empty when never baked. */
  public Optional<String> runConfigJson() {
    return value(names.run());
  }

  /**
   * Where the project's instances ship their results: the baked run configuration's logUri (the
   * project file may have moved on since the bake), else the project file's.
   */
  public String logUri(Project project) {
    return runConfigJson().map(RunConfig::fromJson).map(RunConfig::logUri).orElse(project.spec().run().logUri());
  }

  /** The current snapshot ids, or empty. */
  public List<String> snapshotIds() {
    return value(names.snapshotIds()).map(v -> List.of(v.split(","))).orElse(List.of());
  }

  /**
   * Records a finished bake: the run configuration and snapshot ids first, the AMI id last, so a
   * reader that sees the new AMI id also sees what goes with it. Returns the new ami-id version.
   */
  public long recordBake(String amiId, List<String> snapshotIds, String runConfigJson) {
    ssm.putParameter(b -> b.name(names.run()).value(runConfigJson).type(ParameterType.STRING).overwrite(true)
        .description("ami-pipeline run configuration, read at first boot"));
    if (snapshotIds.isEmpty()) {
      // A StringList cannot be empty; an AMI without EBS snapshots must not inherit the previous list.
      try {
        ssm.deleteParameter(b -> b.name(names.snapshotIds()));
      } catch (ParameterNotFoundException alreadyAbsent) {
        // nothing recorded: nothing to clear
      }
    } else {
      ssm.putParameter(b -> b.name(names.snapshotIds()).value(String.join(",", snapshotIds))
          .type(ParameterType.STRING_LIST).overwrite(true).description("EBS snapshots of the current AMI"));
    }
    return ssm.putParameter(b -> b.name(names.amiId()).value(amiId).type(ParameterType.STRING)
        .dataType("aws:ec2:image").overwrite(true).description("current ami-pipeline AMI")).version();
  }

  private Optional<String> value(String name) {
    try {
      return Optional.of(ssm.getParameter(b -> b.name(name)).parameter().value());
    } catch (ParameterNotFoundException | ParameterVersionNotFoundException e) {
      return Optional.empty();
    }
  }
}
