package dev.amipipeline.results;

import java.util.Optional;
import java.util.function.Supplier;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * One instance's results in S3, in its folder of the {@link ResultLayout}: {@code job.log} and
 * {@code exit-status.json} (a contract with the instance side). The log is read with a byte range
 * from the last offset, so each poll fetches only what is new.
 */
public final class S3JobFiles implements JobLogFollower.JobFiles {

  /** S3's answer to a range that starts at or past the end: nothing new yet. */
  private static final int RANGE_NOT_SATISFIABLE = 416;

  private final S3Client s3;
  private final ResultFolder folder;
  private final Supplier<String> instanceState;

  /**
   * @param folder the instance's results folder
   * @param instanceState reads the instance's state name
   */
  public S3JobFiles(S3Client s3, ResultFolder folder, Supplier<String> instanceState) {
    this.s3 = s3;
    this.folder = folder;
    this.instanceState = instanceState;
  }

  @Override
  public byte[] logFrom(long offset) {
    try {
      ResponseBytes<GetObjectResponse> got = s3.getObjectAsBytes(b -> b.bucket(folder.bucket())
          .key(folder.key(ResultLayout.JOB_LOG)).range("bytes=" + offset + "-"));
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
      return Optional.of(s3.getObjectAsBytes(b -> b.bucket(folder.bucket()).key(folder.key(ResultLayout.EXIT_STATUS)))
          .asUtf8String());
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
    return folder.uri(ResultLayout.JOB_LOG);
  }
}
