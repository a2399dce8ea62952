package dev.amipipeline.launch;

import dev.amipipeline.project.Project;
import dev.amipipeline.project.ProjectRepository;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/** Project files and plans for the pure launch tests. */
final class LaunchFixtures {

  static final Instant NOW = Instant.parse("2025-03-04T05:06:07Z");
  static final String AMI = "ami-0123456789abcdef0";

  private LaunchFixtures() {}

  /** A project whose launch section is {@code launchJson}; the rest is a minimal valid project. */
  static Project project(String name, String sshUser, String launchJson) {
    String json = """
        {"bake": {"baseImage": {"amiId": "ami-0fedcba9876543210"}, "sshUsername": "%s"},
         "launch": %s,
         "run": {"repo": "https://example.org/r.git", "command": "make", "logUri": "s3://logs-bucket/runs"}}
        """.formatted(sshUser, launchJson);
    return ProjectRepository.parse(name, Path.of(name + ".json"), json.getBytes(StandardCharsets.UTF_8));
  }

  static LaunchOptions options() {
    return new LaunchOptions(null, null, false, List.of(), List.of(), null, null, null, 1, null);
  }

  static LaunchOptions spot(BigDecimal maxPrice, boolean fallback) {
    return new LaunchOptions(true, maxPrice, fallback, List.of(), List.of(), null, null, null, 1, null);
  }

  /** A launch of {@code p} with these options and no other flag. */
  static LaunchRequest request(Project p, LaunchOptions options) {
    return new LaunchRequest(p.name(), options, null, null, null, null, false, false, false, false, false, false,
        false, null, Duration.ofSeconds(5));
  }

  static LaunchPlan plan(Project p, LaunchOptions options) {
    return LaunchPlanner.plan(p, options, p.spec().launch().instanceTypes(), AMI,
        "/ami-pipeline/" + p.name() + "/ami-id", NOW);
  }
}
