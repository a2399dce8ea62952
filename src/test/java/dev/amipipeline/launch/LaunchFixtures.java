package dev.amipipeline.launch;

import dev.amipipeline.project.Project;
import dev.amipipeline.project.ProjectRepository;
import dev.amipipeline.results.RunId;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.random.RandomGenerator;

/** Project files and plans for the pure launch tests. */
final class LaunchFixtures {

  static final Instant NOW = Instant.parse("2025-03-04T05:06:07Z");
  static final String AMI = "ami-0123456789abcdef0";
  /** A random source whose next 16 bits are 3fa9, the run id's random part. */
  static final RandomGenerator RANDOM = () -> 0x3fa9L << 32;

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

  /** A launch's plan: run {@code <project>-20250304-050607-3fa9}. */
  static LaunchPlan plan(Project p, LaunchOptions options) {
    return LaunchPlanner.plan(p, options, p.spec().launch().instanceTypes(), AMI,
        "/ami-pipeline/" + p.name() + "/ami-id", RunId.start(p.name(), NOW, RANDOM), NOW);
  }

  /** A recovering run's plan: run {@code <project>-20250304-050607-3fa9}. */
  static LaunchPlan recoveringPlan(Project p, LaunchOptions options, Recovery recovery) {
    return LaunchPlanner.plan(p, options, p.spec().launch().instanceTypes(), AMI,
        "/ami-pipeline/" + p.name() + "/ami-id", RunId.start(p.name(), NOW, RANDOM), NOW, recovery);
  }

  /** The plan of the project's shared launch template ({@code --template-only}): no run. */
  static LaunchPlan templatePlan(Project p, LaunchOptions options) {
    return LaunchPlanner.plan(p, options, p.spec().launch().instanceTypes(), AMI,
        "/ami-pipeline/" + p.name() + "/ami-id", null, NOW);
  }
}
