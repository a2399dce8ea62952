package dev.amipipeline.results;

/**
 * One folder of results in S3: a bucket and a key prefix ending in {@code /} (or empty: the bucket's
 * top).
 */
public record ResultFolder(String bucket, String prefix) {

  public ResultFolder {
    if (bucket == null || bucket.isEmpty()) {
      throw new IllegalArgumentException("a result folder needs a bucket");
    }
    if (!prefix.isEmpty() && !prefix.endsWith("/")) {
      throw new IllegalArgumentException("a folder's prefix ends in /: " + prefix);
    }
  }

  /** The key of {@code name} in this folder ({@code name} may itself end in / for a sub-folder). */
  public String key(String name) {
    return prefix + name;
  }

  /** The folder {@code name} inside this one. */
  public ResultFolder folder(String name) {
    return new ResultFolder(bucket, prefix + name + "/");
  }

  /** {@code s3://bucket/prefix/name}, for the user. */
  public String uri(String name) {
    return "s3://" + bucket + "/" + key(name);
  }

  /** {@code s3://bucket/prefix/}, for the user. */
  public String uri() {
    return uri("");
  }
}
