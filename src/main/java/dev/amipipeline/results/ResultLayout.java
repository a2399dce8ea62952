package dev.amipipeline.results;

import dev.amipipeline.common.AmiException;

/**
 * Where one project's results are in S3, under the run configuration's {@code logUri} (a contract
 * with the instance side). Results are filed by run: {@code <logUri>/<P>/<run-id>/<instance-id>/}
 * holds {@code job.log}, {@code first-boot.log} and {@code exit-status.json}, and
 * {@code <logUri>/<P>/<run-id>/run.json} sums the run up when it ends, so a job that spans
 * instances and attempts is one folder. Instances of earlier versions wrote
 * {@code <logUri>/<P>/<instance-id>/} directly; {@code ami} still reads that layout.
 *
 * @param project the folder of the project's runs, {@code <prefix>/<P>/}
 */
public record ResultLayout(ResultFolder project) {

  public static final String JOB_LOG = "job.log";
  public static final String FIRST_BOOT_LOG = "first-boot.log";
  public static final String EXIT_STATUS = "exit-status.json";
  public static final String RUN_SUMMARY = "run.json";
  /** Sub-folder of a run that holds its checkpoint, not an instance's results. */
  public static final String CHECKPOINT = "checkpoint";

  /** The layout of {@code project}'s results under {@code logUri} ({@code s3://bucket[/prefix]}). */
  public static ResultLayout of(String logUri, String project) {
    if (logUri == null || !logUri.startsWith("s3://") || logUri.length() == "s3://".length()) {
      throw new AmiException.BadInput("the run configuration's logUri '" + logUri + "' is not an s3:// URI");
    }
    String path = logUri.substring("s3://".length()).replaceAll("/+$", "");
    int slash = path.indexOf('/');
    String bucket = slash < 0 ? path : path.substring(0, slash);
    String prefix = slash < 0 ? "" : path.substring(slash + 1) + "/";
    return new ResultLayout(new ResultFolder(bucket, prefix + project + "/"));
  }

  public String bucket() {
    return project.bucket();
  }

  /** A run's folder: its instances' folders, its {@code run.json} and its checkpoint. */
  public ResultFolder run(RunId run) {
    return project.folder(run.value());
  }

  /** One instance's results in a run's folder. */
  public ResultFolder instance(RunId run, String instanceId) {
    return run(run).folder(instanceId);
  }

  /** One instance's results as instances of earlier versions wrote them, straight under the project. */
  public ResultFolder legacyInstance(String instanceId) {
    return project.folder(instanceId);
  }
}
