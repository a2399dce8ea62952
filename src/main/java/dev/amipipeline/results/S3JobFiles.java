package dev.amipipeline.launch;

import dev.amipipeline.common.AmiException;
import java.util.Optional;
import java.util.function.Supplier;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * A job's results in S3: {@code <logUri>/<project>/<instance-id>/job.log} and
 * {@code …/exit-status.json} (a contract with the instance side). The log is read with a byte
 * range from the last offset, so each poll fetches only what is new.
 */
public final class S3JobFiles implements JobLogFollower.JobFiles {

  /** S3's answer to a range that starts at or past the end: nothing new yet. */
  private static final int RANGE_NOT_SATISFIABLE = 416;

  private final S3Client s3;
  private final String bucket;
  private final String keyPrefix;
  private final Supplier<String> instanceState;

  /**
   * @param logUri the run configuration's {@code s3://bucket/prefix}
   * @param instanceState reads the instance's state name
   */
  public S3JobFiles(S3Client s3, String logUri, String project, String instanceId, Supplier<String> instanceState) {
    if (logUri == null || !logUri.startsWith("s3://")) {
      throw new AmiException.BadInput("the run configuration's logUri '" + logUri + "' is not an s3:// URI");
    }
    String path = logUri.substring("s3://".length()).replaceAll("/+$", "");
    int slash = path.indexOf('/');
    this.s3 = s3;
    this.bucket = slash < 0 ? path : path.substring(0, slash);
    String prefix = slash < 0 ? "" : path.substring(slash + 1) + "/";
    this.keyPrefix = prefix + project + "/" + instanceId + "/";
    this.instanceState = instanceState;
  }

  @Override
  public byte[] logFrom(long offset) {
    try {
      ResponseBytes<GetObjectResponse> got = s3.getObjectAsBytes(b -> b.bucket(bucket).key(keyPrefix + "job.log")
          .range("bytes=" + offset + "-"));
      byte[] bytes = got.asByteArray();
      // An endpoint that ignores Range sends the whole object: skip what was printed already.
      if (got.response().contentRange() == null && offset > 0) {
        return offset >= bytes.length ? new byte[0] : java.util.Arrays.copyOfRange(bytes, (int) offset, bytes.length);
      }
      return bytes;
    } catch (NoSuchKeyException e) {
      return new byte[0];
    } catch (S3Exception e) {
      if (e.statusCode() == RANGE_NOT_SATISFIABLE) {
        return new byte[0];
      }
      throw e;
    }
  }

  @Override
  public Optional<String> exitStatus() {
    try {
      return Optional.of(s3.getObjectAsBytes(b -> b.bucket(bucket).key(keyPrefix + "exit-status.json")).asUtf8String());
    } catch (NoSuchKeyException e) {
      return Optional.empty();
    }
  }

  @Override
  public String instanceState() {
    return instanceState.get();
  }

  @Override
  public String logUri() {
    return "s3://" + bucket + "/" + keyPrefix + "job.log";
  }
}
