package dev.amipipeline.launch;

import dev.amipipeline.project.ProjectRepository;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * The instance's whole user-data: exactly {@code AMI_PROJECT=<project>} and a newline (a contract
 * with the first-boot unit). Built here and nowhere else; it never carries anything secret.
 */
public final class UserData {

  private UserData() {}

  public static String of(String project) {
    ProjectRepository.checkName(project);
    return "AMI_PROJECT=" + project + "\n";
  }

  /** The form EC2 takes in RunInstances and launch templates. */
  public static String base64(String project) {
    return Base64.getEncoder().encodeToString(of(project).getBytes(StandardCharsets.US_ASCII));
  }
}
