package dev.amipipeline.cli;

import dev.amipipeline.aws.AwsClients;
import dev.amipipeline.aws.AwsSettings;
import dev.amipipeline.common.AmiException;
import dev.amipipeline.project.ParameterNames;
import dev.amipipeline.project.ProjectRepository;
import dev.amipipeline.project.ProjectValidator;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/** The options every command takes; defaults come from the same variables the AWS CLI reads. */
public final class GlobalOptions {

  /** How results are printed on stdout. */
  public enum OutputFormat { text, json }

  @Option(names = "--region", paramLabel = "REGION", defaultValue = "${env:AWS_REGION}",
      converter = RegionConverter.class,
      description = "AWS region (default: $AWS_REGION, then the profile's region).")
  String region;

  @Option(names = "--profile", paramLabel = "NAME", defaultValue = "${env:AWS_PROFILE}",
      description = "AWS profile from ~/.aws/config (default: $AWS_PROFILE, then the default chain).")
  String profile;

  @Option(names = "--endpoint-url", paramLabel = "URL", defaultValue = "${env:AWS_ENDPOINT_URL}",
      converter = EndpointConverter.class,
      description = "Send every AWS call here instead of AWS, e.g. a local emulator"
          + " (default: $AWS_ENDPOINT_URL). Also given to Packer as custom_endpoint_ec2.")
  URI endpoint;

  @Option(names = "--ssm-prefix", paramLabel = "PATH", defaultValue = ParameterNames.DEFAULT_PREFIX,
      converter = PrefixConverter.class,
      description = "SSM Parameter Store path under which projects are recorded (default: ${DEFAULT-VALUE}).")
  String ssmPrefix;

  @Option(names = "--projects-dir", paramLabel = "DIR", defaultValue = "${env:AMI_HOME:-.}/packer/projects",
      description = "Folder of <project>.json files (default: packer/projects of the repository"
          + " scripts/ami runs from, $AMI_HOME; else of the working directory).")
  Path projectsDir;

  @Option(names = "--output", paramLabel = "FORMAT", defaultValue = "text",
      description = "Result format on stdout: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
  OutputFormat output;

  @Option(names = {"-v", "--verbose"}, description = "Show stack traces and SDK details on errors.")
  boolean verbose;

  public AwsSettings awsSettings() {
    return new AwsSettings(blankToNull(region), blankToNull(profile), endpoint);
  }

  /** Builds the SDK clients; fails with exit 2 when region or credentials are missing. */
  public AwsClients aws() {
    return AwsClients.create(awsSettings());
  }

  public ProjectRepository projects() {
    return new ProjectRepository(projectsDir.normalize());
  }

  public String ssmPrefix() {
    return ssmPrefix;
  }

  public boolean json() {
    return output == OutputFormat.json;
  }

  /** Bad values fail at parse time (exit 2), before any AWS call. */
  static final class EndpointConverter implements ITypeConverter<URI> {
    @Override
    public URI convert(String url) {
      if (url == null || url.isBlank()) {
        return null;
      }
      try {
        URI uri = new URI(url);
        if (("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) && uri.getHost() != null) {
          return uri;
        }
      } catch (URISyntaxException e) {
        // reported below
      }
      throw new TypeConversionException("'" + url + "' is not a URL like http://127.0.0.1:5000");
    }
  }

  static final class RegionConverter implements ITypeConverter<String> {
    @Override
    public String convert(String region) {
      if (region != null && !region.isBlank() && !ProjectValidator.isKnownRegion(region)) {
        throw new TypeConversionException("'" + region + "' is not a known AWS region, e.g. us-east-1");
      }
      return region;
    }
  }

  static final class PrefixConverter implements ITypeConverter<String> {
    @Override
    public String convert(String prefix) {
      try {
        ParameterNames.checkPrefix(prefix);
        return prefix;
      } catch (AmiException e) {
        throw new TypeConversionException(e.getMessage().replaceFirst("^--ssm-prefix ", ""));
      }
    }
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s;
  }
}
