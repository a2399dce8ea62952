package dev.amipipeline.results;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.amipipeline.aws.AwsClients;
import dev.amipipeline.common.Json;
import dev.amipipeline.project.ParameterNames;
import dev.amipipeline.project.Project;
import dev.amipipeline.project.ProjectParameters;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Supplier;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CommonPrefix;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The S3 edge of runs: one project's results under its {@link ResultLayout}, read with
 * ListObjectsV2 (paginated, with the {@code /} delimiter, so a run's checkpoint files are never
 * listed) and GETs of the small JSON files only where they are needed.
 */
public final class StoredRuns {

  /** Files an instance of an earlier version left right in {@code <P>/<instance-id>/}. */
  private static final Set<String> LEGACY_FILES =
      Set.of(ResultLayout.JOB_LOG, ResultLayout.FIRST_BOOT_LOG, ResultLayout.EXIT_STATUS);

  private final S3Client s3;
  private final ResultLayout layout;
  private final Consumer<String> progress;
  private boolean saidBucketIsMissing;

  /** @param progress where a note goes (a missing bucket, a file that cannot be read) */
  public StoredRuns(S3Client s3, ResultLayout layout, Consumer<String> progress) {
    this.s3 = s3;
    this.layout = layout;
    this.progress = progress;
  }

  /** The results of {@code project}, where its run configuration in SSM sends them. */
  public static StoredRuns of(AwsClients aws, String ssmPrefix, Project project, Consumer<String> progress) {
    String logUri = new ProjectParameters(aws.ssm(), new ParameterNames(ssmPrefix, project.name())).logUri(project);
    return new StoredRuns(aws.s3(aws.region()), ResultLayout.of(logUri, project.name()), progress);
  }

  public ResultLayout layout() {
    return layout;
  }

  /**
   * The runs with a folder under the project's: run ids of this project and instance ids (runs of an
   * instance started without a run id, and the old layout). Other names are not runs and are left out.
   */
  public List<RunId> folders() {
    ResultFolder project = layout.project();
    return list(project).folders().stream()
        .map(RunId::tryParse).flatMap(Optional::stream)
        .filter(id -> id.isInstanceId() || id.project().equals(lastSegment(project)))
        .toList();
  }

  /**
   * What S3 holds of one run. A complete run.json of a run that ended over a day ago is all that is
   * read ({@link RunSummary#standsAlone}); otherwise the run's folder is listed and each instance's exit
   * status read. A folder of the old layout whose newest file is older than {@code notBefore} is only
   * listed (it is left out anyway).
   *
   * @param notBefore null: read every folder in full
   */
  public StoredRun read(RunId id, Instant now, Instant notBefore) {
    RunSummary summary = null;
    if (!id.isInstanceId()) {
      summary = summary(layout.run(id)).orElse(null);
      if (summary != null && summary.standsAlone(id, now)) {
        return new StoredRun(id, summary, List.of(), null);
      }
    }
    return listed(id, summary, notBefore);
  }

  /**
   * Why run {@code id} has ended, by its results ({@link RunEnd}), or empty when they show no final
   * end: its run.json alone when there is one (one GET, no listing), else its instances' exit statuses.
   */
  public Optional<String> end(RunId id) {
    Optional<RunSummary> summary = summary(layout.run(id));
    if (summary.isPresent()) {
      return RunEnd.why(summary.get(), List.of());
    }
    StoredRun read = listed(id, null, null);
    return RunEnd.why(read.summary(), read.instances().stream().map(StoredRun.StoredInstance::status)
        .filter(Objects::nonNull).toList());
  }

  /** The run's folder listed, and each instance's exit status read; {@code summary} as read before, or null. */
  private StoredRun listed(RunId id, RunSummary summary, Instant notBefore) {
    ResultFolder folder = layout.run(id);
    Listing listing = list(folder);
    if (summary == null && listing.has(ResultLayout.RUN_SUMMARY)) {
      summary = summary(folder).orElse(null);
    }
    Instant modified = listing.objects().stream().map(S3Object::lastModified).max(Comparator.naturalOrder())
        .orElse(null);
    boolean old = notBefore != null && modified != null && modified.isBefore(notBefore);
    List<StoredRun.StoredInstance> instances = new ArrayList<>();
    for (String name : listing.folders()) {
      if (RunId.INSTANCE_ID.matcher(name).matches()) {
        instances.add(instance(name, folder.folder(name), true, old));
      }
    }
    if (id.isInstanceId() && listing.objects().stream().anyMatch(o -> LEGACY_FILES.contains(name(folder, o)))) {
      instances.add(instance(id.value(), folder, listing.has(ResultLayout.EXIT_STATUS), old));
    }
    return new StoredRun(id, summary, instances, modified);
  }

  /** An instance's folder of the old layout, {@code <P>/<instance-id>/}, when it holds anything. */
  public Optional<StoredRun.StoredInstance> legacy(String instanceId) {
    ResultFolder folder = layout.legacyInstance(instanceId);
    Listing listing = list(folder);
    if (listing.objects().stream().noneMatch(o -> LEGACY_FILES.contains(name(folder, o)))) {
      return Optional.empty();
    }
    return Optional.of(instance(instanceId, folder, listing.has(ResultLayout.EXIT_STATUS), false));
  }

  /** One instance's job log and exit status as a followed job reads them. */
  public S3JobFiles jobFiles(ResultFolder instance, Supplier<String> instanceState) {
    return new S3JobFiles(s3, instance, instanceState);
  }

  /** A file's bytes, or empty when it is not there. */
  public Optional<byte[]> file(ResultFolder folder, String name) {
    try {
      return Optional.of(s3.getObjectAsBytes(b -> b.bucket(folder.bucket()).key(folder.key(name))).asByteArray());
    } catch (NoSuchKeyException | NoSuchBucketException e) {
      return Optional.empty();
    }
  }

  private StoredRun.StoredInstance instance(String instanceId, ResultFolder folder, boolean mayHaveStatus,
      boolean skip) {
    ExitStatus status = mayHaveStatus && !skip ? exitStatus(folder).orElse(null) : null;
    return new StoredRun.StoredInstance(instanceId, folder, status);
  }

  private Optional<ExitStatus> exitStatus(ResultFolder folder) {
    return file(folder, ResultLayout.EXIT_STATUS).flatMap(bytes -> parse(bytes, ExitStatus.class,
        folder.uri(ResultLayout.EXIT_STATUS)));
  }

  private Optional<RunSummary> summary(ResultFolder folder) {
    return file(folder, ResultLayout.RUN_SUMMARY).flatMap(bytes -> parse(bytes, RunSummary.class,
        folder.uri(ResultLayout.RUN_SUMMARY)));
  }

  /** A result file that is not valid JSON counts as absent, with a note: the rest of the run still shows. */
  private <T> Optional<T> parse(byte[] bytes, Class<T> type, String uri) {
    try {
      return Optional.ofNullable(Json.OUTPUT.readValue(bytes, type));
    } catch (JsonProcessingException e) {
      progress.accept("ami: " + uri + " is not valid JSON, left out: " + e.getOriginalMessage());
      return Optional.empty();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The objects and sub-folders right in {@code folder}. */
  private record Listing(ResultFolder folder, List<S3Object> objects, List<String> folders) {
    boolean has(String name) {
      return objects.stream().anyMatch(o -> o.key().equals(folder.key(name)));
    }
  }

  private Listing list(ResultFolder folder) {
    List<S3Object> objects = new ArrayList<>();
    List<String> folders = new ArrayList<>();
    try {
      s3.listObjectsV2Paginator(b -> b.bucket(folder.bucket()).prefix(folder.prefix()).delimiter("/"))
          .forEach(page -> {
            objects.addAll(page.contents());
            page.commonPrefixes().stream().map(CommonPrefix::prefix)
                .map(p -> p.substring(folder.prefix().length(), p.length() - 1)).forEach(folders::add);
          });
    } catch (NoSuchBucketException e) {
      synchronized (this) {
        if (!saidBucketIsMissing) {
          progress.accept("ami: bucket " + folder.bucket() + " does not exist: no results in "
              + layout.project().uri());
          saidBucketIsMissing = true;
        }
      }
    }
    return new Listing(folder, objects, folders);
  }

  private static String name(ResultFolder folder, S3Object o) {
    return o.key().substring(folder.prefix().length());
  }

  private static String lastSegment(ResultFolder folder) {
    String p = folder.prefix().substring(0, folder.prefix().length() - 1);
    return p.substring(p.lastIndexOf('/') + 1);
  }
}
