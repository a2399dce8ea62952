package dev.amipipeline.bake;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Outputs are what Packer 1.6.6 printed on this machine for each kind of failure. */
class PackerOutputTest {

  static Stream<Arguments> failures() {
    return Stream.of(
        Arguments.of("a provisioner failed", """
            ==> amazon-ebs.image: Running local shell script: /tmp/packer-shell3872107063
            ==> amazon-ebs.image: boom-stderr
            ==> amazon-ebs.image: Provisioning step had errors: Running the cleanup provisioner, if present...
            ==> amazon-ebs.image: Terminating the source AWS instance...
            Build 'amazon-ebs.image' errored after 279 milliseconds 461 microseconds: Script exited with non-zero exit status: 7.Allowed exit codes are: [0]

            ==> Wait completed after 279 milliseconds 575 microseconds

            ==> Some builds didn't complete successfully and had errors:
            --> amazon-ebs.image: Script exited with non-zero exit status: 7.Allowed exit codes are: [0]

            ==> Builds finished but no artifacts were created.
            """, "Script exited with non-zero exit status: 7.Allowed exit codes are: [0]"),
        Arguments.of("an unknown argument in the template", """
            Error: Unsupported argument

              on bad.pkr.hcl line 2:
              (source code not available)

            An argument named "bogus_field" is not expected here.



            ==> Wait completed after 4 microseconds

            ==> Builds finished but no artifacts were created.
            """, "Unsupported argument: An argument named \"bogus_field\" is not expected here."),
        Arguments.of("an undeclared -var", """
            Error: Undefined -var variable

            A "nosuch" variable was passed in the command line but was not found in known
            variables. To declare variable "nosuch", place this block in one of your .pkr
            files, such as variables.pkr.hcl
            """, "Undefined -var variable: A \"nosuch\" variable was passed in the command line but was not"
            + " found in known variables. To declare variable \"nosuch\", place this block in one of your .pkr"
            + " files, such as variables.pkr.hcl"),
        Arguments.of("a counted list of errors", """
            Error: 1 error(s) occurred:

            * /dev/sda1: the maximum ratio of provisioned IOPS to requested volume size (in GiB) is 50:1 for io1 volumes

              on ami.pkr.hcl line 49:
              (source code not available)
            """, "/dev/sda1: the maximum ratio of provisioned IOPS to requested volume size (in GiB) is 50:1"
            + " for io1 volumes"),
        Arguments.of("a provisioner that cannot be prepared", """
            Error: Failed preparing provisioner-block "file" ""

              on packer/ami.pkr.hcl line 305:
              (source code not available)

            1 error(s) occurred:

            * Bad source 'packer/../launcher/': stat packer/../launcher/: no such file or
            directory

            Error: Failed preparing provisioner-block "shell" ""
            """, "Failed preparing provisioner-block \"file\" \"\": Bad source 'packer/../launcher/':"
            + " stat packer/../launcher/: no such file or directory"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("failures")
  void theErrorLineIsPackersOwnReason(String why, String output, String expected) {
    assertThat(PackerOutput.errorLine(output.lines().toList())).contains(expected);
  }

  @Test
  void noErrorInTheOutputGivesNothing() {
    assertThat(PackerOutput.errorLine(List.of("==> amazon-ebs.image: Stopping the source instance...", "")))
        .isEqualTo(Optional.empty());
  }

  @Test
  void prefixNamesTheProjectAndTheMinutesAndSecondsSinceTheStart() {
    assertThat(PackerOutput.prefix("ml", Duration.ofSeconds(65))).isEqualTo("[bake ml 01:05] ");
    assertThat(PackerOutput.prefix("demo", Duration.ZERO)).isEqualTo("[bake demo 00:00] ");
    assertThat(PackerOutput.prefix("ml", Duration.ofMinutes(125).plusSeconds(3))).isEqualTo("[bake ml 125:03] ");
  }
}
