package dev.amipipeline.prune;

import static org.assertj.core.api.Assertions.assertThat;

import dev.amipipeline.common.ExitCode;
import dev.amipipeline.project.ParameterNames;
import dev.amipipeline.project.Project;
import dev.amipipeline.project.ProjectRepository;
import dev.amipipeline.project.Tags;
import dev.amipipeline.testing.Ec2Seed;
import dev.amipipeline.testing.Ec2Seed.SeededImage;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.ec2.model.ResourceType;

/**
 * The prune edge driven directly with a clock set hours ahead: moto stamps instances with the real
 * launch time and offers no way to age them, and a builder must be 6 hours old to be stale.
 */
class PrunerIT extends MotoTestBase {

  @TempDir Path tmp;

  private Pruner prunerAt(Duration ahead) {
    Clock later = Clock.offset(Clock.systemUTC(), ahead);
    return new Pruner(aws, ParameterNames.DEFAULT_PREFIX, Clock.fixed(later.instant(), ZoneOffset.UTC),
        progressSink());
  }

  private Pruner.Options keep(int n) {
    return new Pruner.Options(n, Duration.ZERO, false, 8, tmp.resolve("ami-history.md"), false);
  }

  private static Project demo() {
    return new ProjectRepository(Path.of("packer/projects")).load("demo");
  }

  /** A builder instance as a killed Packer leaves it: tagged, with its packer_* key pair and group. */
  private String builder(String suffix, boolean protectedFromTermination) {
    String key = ec2.createKeyPair(b -> b.keyName("packer_" + suffix)).keyName();
    String group = ec2.createSecurityGroup(b -> b.groupName("packer_" + suffix).description("packer")).groupId();
    String base = ec2.describeImages(b -> b.owners("amazon")).images().get(0).imageId();
    String id = ec2.runInstances(b -> b.imageId(base).minCount(1).maxCount(1).keyName(key).securityGroupIds(group)
            .tagSpecifications(t -> t.resourceType(ResourceType.INSTANCE).tags(Ec2Seed.tag(Tags.BUILDER, "demo"))))
        .instances().get(0).instanceId();
    if (protectedFromTermination) {
      ec2.modifyInstanceAttribute(b -> b.instanceId(id).disableApiTermination(v -> v.value(true)));
    }
    return id;
  }

  @Test
  void aKilledPackersBuilderIsTerminatedWithItsKeyPairAndSecurityGroup() {
    String stale = builder("a1b2", false);
    Ec2State before = Ec2State.read(ec2);

    PruneReport fresh = prunerAt(Duration.ofHours(5)).prune(List.of(demo()), keep(1));
    assertThat(fresh.regions().get(0).projects().get(0).staleBuilders()).isEmpty();
    assertThat(Ec2State.read(ec2)).isEqualTo(before);

    PruneReport report = prunerAt(Duration.ofHours(7)).prune(List.of(demo()), keep(1));

    assertThat(report.exitCode()).isEqualTo(ExitCode.OK);
    assertThat(ec2.describeInstances(b -> b.instanceIds(stale)).reservations().get(0).instances().get(0).state()
        .nameAsString()).isEqualTo("terminated");
    Ec2State after = Ec2State.read(ec2);
    assertThat(after.keyPairs()).doesNotContain("packer_a1b2");
    assertThat(before.securityGroups()).hasSize(after.securityGroups().size() + 1);
    assertThat(report.totals().buildersTerminated()).isEqualTo(1);
    assertThat(report.toText()).contains("stale builder " + stale, "key pair packer_a1b2", ": terminated");
  }

  @Test
  void aFailureIsReportedWhileTheRestIsDoneAndTheRunExitsOne() {
    List<SeededImage> bakes = bakes("demo", 2);
    SeededImage old = bakes.get(0);
    SeededImage current = bakes.get(1);
    String terminable = builder("c3d4", false);
    String stuck = builder("e5f6", true); // termination protection: EC2 refuses to terminate it

    PruneReport report = prunerAt(Duration.ofHours(7)).prune(List.of(demo()), keep(1));

    assertThat(report.exitCode()).isEqualTo(ExitCode.FAILED);
    assertThat(report.failures()).singleElement().satisfies(f -> {
      assertThat(f.resource()).isEqualTo(stuck);
      assertThat(f.error()).contains("OperationNotPermitted");
    });
    Ec2State after = Ec2State.read(ec2);
    assertThat(after.images()).doesNotContain(old.amiId()).contains(current.amiId());
    assertThat(after.snapshots()).doesNotContainAnyElementsOf(old.snapshotIds());
    assertThat(after.liveInstances()).contains(stuck + ":running").noneMatch(i -> i.startsWith(terminable));
    assertThat(after.keyPairs()).contains("packer_e5f6").doesNotContain("packer_c3d4");
    assertThat(report.toText()).contains("FAILED us-east-1 " + stuck + ": OperationNotPermitted",
        "1 failure; the rest was done");
    assertThat(progress).anyMatch(l -> l.startsWith("FAILED " + stuck));
  }
}
