package dev.amipipeline.bake;

import static org.assertj.core.api.Assertions.assertThat;

import dev.amipipeline.project.ProjectSpec;
import dev.amipipeline.testing.Shell;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The template against the real packer binary (Debian's 1.6.6): formatting, validation, our argv. */
class PackerTemplateIT {

  private static final Path TEMPLATE = Shell.REPO.resolve("packer/ami.pkr.hcl");

  private static Shell.Result packer(String... args) {
    List<String> cmd = new ArrayList<>(List.of("packer"));
    cmd.addAll(List.of(args));
    return Shell.run(cmd, Map.of("CHECKPOINT_DISABLE", "1"), Duration.ofMinutes(1));
  }

  @Test
  void everyTemplateFileIsFormatted() {
    Shell.Result top = packer("fmt", "-check", "packer");
    Shell.Result plugins = packer("fmt", "-check", "packer/plugins");
    assertThat(top.exitCode()).as(top.out() + top.err()).isZero();
    assertThat(plugins.exitCode()).as(plugins.out() + plugins.err()).isZero();
  }

  @Test
  void validatesInLocalModeWithoutAnyProvisionerFile() {
    Shell.Result r = packer("validate", "-var", "communicator=none", "-var", "provisioners_dir=/nonexistent",
        "-var", "launcher_dir=/nonexistent", TEMPLATE.toString());
    assertThat(r.exitCode()).as(r.out() + r.err()).isZero();
  }

  @Test
  void validatesWithProvisioningWhenTheAgreedScriptsExist(@TempDir Path tmp) throws Exception {
    BakeWorkspace ws = BakeWorkspace.create(tmp);
    Shell.Result r = packer("validate", ws.template().toString());
    assertThat(r.exitCode()).as(r.out() + r.err()).isZero();

    // a script of the interface missing: Packer names it
    Files.delete(ws.provisioner("45-packages.sh"));
    Shell.Result missing = packer("validate", ws.template().toString());
    assertThat(missing.exitCode()).isEqualTo(1);
    assertThat(missing.out()).contains("45-packages.sh");
  }

  @Test
  void runsTheProvisionersInTheAgreedOrderAsRootWithTheAgreedEnvironment() throws Exception {
    String text = Files.readString(TEMPLATE);
    int at = -1;
    for (String script : BakeWorkspace.PROVISIONERS) {
      int next = text.indexOf("${local.provisioners_dir}/" + script + "\"");
      assertThat(next).as(script + " after the previous one").isGreaterThan(at);
      at = next;
    }
    assertThat(text).contains("execute_command  = \"sudo -E env {{ .Vars }} bash '{{ .Path }}'\"")
        .contains("destination = \"${local.launcher_upload}/\"", "launcher_upload  = \"/tmp/ami-pipeline-launcher\"")
        .contains("source      = \"${local.provisioners_dir}/lib.sh\"", "destination = local.library_upload");
    for (String env : List.of("AMI_PROJECT", "AMI_SSM_PREFIX", "AMI_INSTALL_GIT", "AMI_JDK_VERSION",
        "AMI_NVIDIA_DRIVER", "AMI_EXTRA_PACKAGES", "AMI_LAUNCHER_SRC", "AMI_PROVISIONER_LIB")) {
      assertThat(text).contains("\"" + env + "=${");
    }
  }

  @Test
  void theRequiredPluginsBlockMustStayOutOfWhatPacker166Reads(@TempDir Path tmp) throws Exception {
    Files.copy(TEMPLATE, tmp.resolve("ami.pkr.hcl"));
    Files.copy(Shell.REPO.resolve("packer/" + Bake.PLUGINS_FILE), tmp.resolve("required-plugins.pkr.hcl"));
    Shell.Result r = packer("validate", "-var", "communicator=none", tmp.toString());
    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.out()).contains("required_plugins");
  }

  @Test
  void packerAcceptsEveryVariableTheDriverPassesEvenAwkwardValues(@TempDir Path tmp) {
    BakeWorkspace ws = BakeWorkspace.create(tmp);
    Path key = tmp.resolve("id_ed25519");
    Shell.Result keygen = Shell.run(List.of("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key.toString()),
        Map.of(), Duration.ofSeconds(30));
    assertThat(keygen.exitCode()).as(keygen.err()).isZero();
    ProjectSpec.Bake gpu = new ProjectSpec.Bake(new ProjectSpec.BaseImage("ami-0123456789abcdef0", null, null, null),
        "g5.xlarge", "ubuntu", new ProjectSpec.Volume(100, "io2", 6000, null), true, 21, true,
        List.of("htop", "python3-venv"), true);
    BuildSpec build = new BuildSpec("ml", "/ami-pipeline", "us-east-1", List.of("us-west-2"),
        new SourceImage("ami-0123456789abcdef0", "base", "/dev/sda1", null), gpu, URI.create("http://127.0.0.1:5000"),
        new SshTarget("127.0.0.1", 2222, key), "ml-20261122T200545Z-1a2b3c4d",
        "ml image \"quoted\" ${not.a.var} 100%{x}",
        Map.of("ami-pipeline:project", "ml", "Name", "ml-20261122T200545Z", "Note", "it's \"fine\" ${x}"),
        Map.of("ami-pipeline:builder", "ml"), tmp.resolve("manifest.json"), ws.provisioner("10-git.sh").getParent(),
        ws.root().resolve("launcher"));
    List<String> argv = new ArrayList<>(PackerArgv.build("packer", PackerArgv.variables(build), TEMPLATE));
    argv.set(1, "validate");
    argv.remove("-color=false");
    argv.remove("-machine-readable");

    Shell.Result r = Shell.run(argv, Map.of("CHECKPOINT_DISABLE", "1"), Duration.ofMinutes(1));

    assertThat(r.exitCode()).as(r.out() + r.err()).isZero();
  }
}
