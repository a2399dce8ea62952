package dev.amipipeline.aws;

import java.net.URI;
import java.util.Optional;

/**
 * Where and as whom to talk to AWS, as the user gave it (flags, then environment). Nulls mean "not
 * given": the factory then falls back to the SDK's profile files.
 */
public record AwsSettings(String region, String profile, URI endpoint) {

  public Optional<URI> endpointOverride() {
    return Optional.ofNullable(endpoint);
  }
}
