package dev.amipipeline.bake;

import static org.assertj.core.api.Assertions.assertThat;

import dev.amipipeline.project.ProjectSpec;
import java.net.URI;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

class PackerArgvTest {

  private static final URI MOTO = URI.create("http://127.0.0.1:5000");
  private static final ProjectSpec.Bake DEMO = bake(8, List.of(), false, 17, true);

  private static ProjectSpec.Bake bake(Integer rootGiB, List<String> packages, boolean gpu, int jdk, boolean git) {
    return new ProjectSpec.Bake(new ProjectSpec.BaseImage(null, List.of("099720109477"), "ubuntu/*", null),
        "t3.micro", "ubuntu", new ProjectSpec.Volume(rootGiB, "gp3", null, null), git, jdk, gpu, packages, true);
  }

  private static BuildSpec spec(URI endpoint, SshTarget ssh, List<String> copies, ProjectSpec.Bake bake) {
    return new BuildSpec("demo", "/ami-pipeline", "us-east-1", copies,
        new SourceImage("ami-785db401", "ubuntu/images/x", "/dev/sda1", "2026-01-01T00:00:00.000Z"), bake,
        endpoint, ssh, "demo-20260101T000000Z-1a2b3c4d", "ami-pipeline demo",
        Map.of("ami-pipeline:project", "demo", "Name", "demo-20260101T000000Z"),
        Map.of("ami-pipeline:builder", "demo"), Path.of("/work/manifest.json"), Path.of("/repo/packer/provisioners"),
        Path.of("/repo/launcher"));
  }

  /** The -var pairs of an argv, read back as name to the text after "=". */
  private static Map<String, String> vars(List<String> argv) {
    Map<String, String> vars = new LinkedHashMap<>();
    for (int i = 0; i < argv.size() - 1; i++) {
      if (argv.get(i).equals("-var")) {
        String pair = argv.get(i + 1);
        vars.put(pair.substring(0, pair.indexOf('=')), pair.substring(pair.indexOf('=') + 1));
      }
    }
    return vars;
  }

  static Stream<Arguments> builds() {
    return Stream.of(
        Arguments.of("AWS itself: SSH to the builder, no endpoint", spec(null, null, List.of(), DEMO),
            Map.of("communicator", "ssh", "region", "us-east-1", "ami_regions", "[]", "source_ami", "ami-785db401"),
            List.of("custom_endpoint_ec2", "ssh_host", "ssh_port", "ssh_private_key_file")),
        Arguments.of("emulator without SSH target: local mode", spec(MOTO, null, List.of(), DEMO),
            Map.of("communicator", "none", "custom_endpoint_ec2", "http://127.0.0.1:5000"),
            List.of("ssh_host")),
        Arguments.of("emulator with SSH target: provisions through it",
            spec(MOTO, new SshTarget("127.0.0.1", 2222, Path.of("/keys/id")), List.of(), DEMO),
            Map.of("communicator", "ssh", "ssh_host", "127.0.0.1", "ssh_port", "2222",
                "ssh_private_key_file", "/keys/id"),
            List.of()),
        Arguments.of("SSH target without key: Packer's temporary key pair",
            spec(null, new SshTarget("bastion.example", 22, null), List.of(), DEMO),
            Map.of("communicator", "ssh", "ssh_host", "bastion.example"),
            List.of("ssh_private_key_file")),
        Arguments.of("copy regions", spec(MOTO, null, List.of("us-west-2", "eu-west-1"), DEMO),
            Map.of("region", "us-east-1", "ami_regions", "[\"us-west-2\", \"eu-west-1\"]"),
            List.of()),
        Arguments.of("the image's own root volume size", spec(null, null, List.of(), bake(null, List.of(), false, 17, true)),
            Map.of("root_volume_size", "0", "root_volume_type", "gp3", "root_volume_iops", "0"),
            List.of()),
        Arguments.of("GPU image with packages, JDK 21, no git",
            spec(null, null, List.of(), bake(100, List.of("htop", "python3-venv"), true, 21, false)),
            Map.of("nvidia_driver", "true", "jdk_version", "21", "install_git", "false", "root_volume_size", "100",
                "extra_packages", "[\"htop\", \"python3-venv\"]"),
            List.of()),
        Arguments.of("tags, names and paths", spec(null, null, List.of(), DEMO),
            Map.of("tags", "{\"Name\" = \"demo-20260101T000000Z\", \"ami-pipeline:project\" = \"demo\"}",
                "snapshot_tags", "{\"Name\" = \"demo-20260101T000000Z\", \"ami-pipeline:project\" = \"demo\"}",
                "run_tags", "{\"ami-pipeline:builder\" = \"demo\"}",
                "ami_name", "demo-20260101T000000Z-1a2b3c4d", "manifest_path", "/work/manifest.json",
                "provisioners_dir", "/repo/packer/provisioners", "launcher_dir", "/repo/launcher",
                "project", "demo", "ssm_prefix", "/ami-pipeline"),
            List.of()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("builds")
  void buildArgvCarriesTheProjectAsTemplateVariables(String why, BuildSpec spec, Map<String, String> expected,
      List<String> absent) {
    List<String> argv = PackerArgv.build("packer", PackerArgv.variables(spec), Path.of("/repo/packer/ami.pkr.hcl"));

    assertThat(argv.subList(0, 4)).containsExactly("packer", "build", "-color=false", "-machine-readable");
    assertThat(argv.get(argv.size() - 1)).isEqualTo("/repo/packer/ami.pkr.hcl");
    assertThat(vars(argv)).containsAllEntriesOf(expected).doesNotContainKeys(absent.toArray(String[]::new));
    // every argument but the first four and the template is a -var pair
    assertThat(argv.size() - 5).isEqualTo(2 * vars(argv).size());
  }

  @Test
  void noCredentialEverAppearsInTheArgv() {
    List<String> argv = PackerArgv.build("packer", PackerArgv.variables(spec(MOTO, null, List.of(), DEMO)),
        Path.of("t.pkr.hcl"));
    assertThat(String.join(" ", argv)).doesNotContainIgnoringCase("secret").doesNotContainIgnoringCase("access_key")
        .doesNotContain("AWS_");
  }

  static Stream<Arguments> literals() {
    return Stream.of(
        Arguments.of("a plain string", "us-east-1", "us-east-1"),
        Arguments.of("a string with spaces stays raw", "ami-pipeline demo (x)", "ami-pipeline demo (x)"),
        Arguments.of("true", true, "true"),
        Arguments.of("a number", 8, "8"),
        Arguments.of("an empty list", List.of(), "[]"),
        Arguments.of("a list", List.of("a", "b"), "[\"a\", \"b\"]"),
        Arguments.of("a map", Map.of("k:x", "v"), "{\"k:x\" = \"v\"}"),
        Arguments.of("quotes and backslashes", List.of("say \"hi\" \\o/"), "[\"say \\\"hi\\\" \\\\o/\"]"),
        Arguments.of("no template interpolation", List.of("${var.x} and %{ if }"), "[\"$${var.x} and %%{ if }\"]"),
        Arguments.of("a lone dollar is kept", List.of("5$ off"), "[\"5$ off\"]"),
        Arguments.of("newline and tab", List.of("a\nb\tc"), "[\"a\\nb\\tc\"]"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("literals")
  void valuesBecomeHclLiterals(String why, Object value, String literal) {
    assertThat(PackerArgv.literal(value)).isEqualTo(literal);
  }

  @Test
  void displayMasksSecretLookingVariablesAndQuotesForTheShell() {
    List<String> argv = List.of("packer", "build", "-var", "ssh_password=hunter2", "-var", "api_token=abc",
        "-var", "region=us-east-1", "-var", "ami_description=two words", "-var", "tags={\"a\" = \"it's\"}", "t.hcl");

    String shown = PackerArgv.display(argv);

    assertThat(shown).doesNotContain("hunter2").doesNotContain("abc")
        .contains("ssh_password=" + PackerArgv.MASK, "api_token=" + PackerArgv.MASK)
        .contains(" region=us-east-1 ", " 'ami_description=two words' ", "'tags={\"a\" = \"it'\"'\"'s\"}'")
        .startsWith("packer build -var ");
  }

  @Test
  void initTakesTheStagedFolder() {
    assertThat(PackerArgv.init("/usr/bin/packer", Path.of("/tmp/w/template")))
        .containsExactly("/usr/bin/packer", "init", "/tmp/w/template");
  }
}
