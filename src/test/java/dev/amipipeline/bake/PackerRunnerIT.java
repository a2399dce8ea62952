package dev.amipipeline.bake;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.amipipeline.common.AmiException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The runner with the real packer binary and Packer's null builder (no cloud at all): a shell-local
 * step that waits until Packer itself is gone, so the tests can stop a Packer that is really busy.
 */
class PackerRunnerIT {

  /** A build of Packer's null builder whose one step is a local shell script of these lines. */
  private static String localScript(String name, String... lines) {
    return """
        source "null" "%s" {
          communicator = "none"
        }

        build {
          sources = ["source.null.%s"]

          provisioner "shell-local" {
            inline = [%s]
          }
        }
        """.formatted(name, name, Stream.of(lines).map(PackerArgv::hclString).collect(Collectors.joining(", ")));
  }

  /** Busy until Packer is gone (the grandparent: shell-local runs the script under sh -c), 60 s at most. */
  private static final String WAITING_TEMPLATE = localScript("wait",
      "gp=$(cut -d' ' -f4 /proc/$PPID/stat)",
      "echo busy",
      "i=0; while kill -0 $gp 2>/dev/null && [ $i -lt 600 ]; do i=$((i+1)); sleep 0.1; done");

  private static final String FAILING_TEMPLATE = localScript("fail", "echo about to fail", "exit 3");

  private final StringWriter progress = new StringWriter();
  private final List<PackerLines.Line> lines = new CopyOnWriteArrayList<>();

  private PackerRunner runner() {
    return new PackerRunner("packer", Map.of(), new PrintWriter(progress, true));
  }

  private PackerRunner.Outcome run(PackerRunner runner, Path dir, String template, Duration timeout) {
    return runner.run(List.of("packer", "build", "-machine-readable", template), dir, timeout, lines::add);
  }

  private static Path template(Path dir, String text) throws Exception {
    return Files.writeString(dir.resolve("t.pkr.hcl"), text);
  }

  /** What Packer said, as text. */
  private String printed() {
    return lines.stream().map(PackerLines.Line::text).collect(Collectors.joining("\n"));
  }

  @Test
  void handsOnPackersMachineReadableOutputAsTextOfItsKindAndKeepsItsError(@TempDir Path dir) throws Exception {
    PackerRunner.Outcome o = run(runner(), dir, template(dir, FAILING_TEMPLATE).toString(), Duration.ofMinutes(2));

    assertThat(o.exitCode()).isEqualTo(1);
    assertThat(o.succeeded()).isFalse();
    assertThat(lines).anyMatch(l -> l.kind() == PackerLines.Kind.STEP
        && l.text().startsWith("==> null.fail: Running local shell script: /"));
    assertThat(lines).contains(new PackerLines.Line(PackerLines.Kind.MESSAGE, "    null.fail: about to fail"));
    assertThat(lines).filteredOn(l -> l.kind() == PackerLines.Kind.ERROR).extracting(PackerLines.Line::text)
        .anyMatch(t -> t.startsWith("Build 'null.fail' errored after "));
    assertThat(printed()).doesNotContain("%!(PACKER_COMMA)").doesNotContainPattern("(?m)^\\d+,");
    assertThat(o.tail()).containsSubsequence("    null.fail: about to fail", "==> Builds finished but no artifacts were created.");
    assertThat(PackerOutput.errorLine(o.tail())).contains("Script exited with non-zero exit status: 3.Allowed exit codes are: [0]");
  }

  @Test
  void interruptLetsPackerCancelCleanlyAndWaitsForIt(@TempDir Path dir) throws Exception {
    PackerRunner runner = runner();
    String template = template(dir, WAITING_TEMPLATE).toString();
    CompletableFuture<PackerRunner.Outcome> run = CompletableFuture.supplyAsync(() ->
        run(runner, dir, template, Duration.ofMinutes(5)));
    awaitPrinted("null.wait: busy", run);

    runner.interrupt();
    PackerRunner.Outcome o = run.get(2, TimeUnit.MINUTES);

    assertThat(o.interrupted()).isTrue();
    assertThat(o.timedOut()).isFalse();
    assertThat(o.exitCode()).isNotZero();
    // Packer printed its own cancel through to the end: its output pipes stayed open while it cleaned up
    assertThat(printed()).contains("Cancelling build after receiving terminated", "Cleanly cancelled builds");
  }

  @Test
  void theWatchdogStopsPackerTheSameGentleWay(@TempDir Path dir) throws Exception {
    PackerRunner.Outcome o = run(runner(), dir, template(dir, WAITING_TEMPLATE).toString(), Duration.ofSeconds(3));

    assertThat(o.timedOut()).isTrue();
    assertThat(o.interrupted()).isFalse();
    assertThat(printed()).contains("null.wait: busy", "Cancelling build after receiving terminated",
        "Cleanly cancelled builds");
  }

  /**
   * A cancelled Packer does not wait for its shell-local command, which lives on holding Packer's
   * output pipe; the runner stops reading after a short drain instead of waiting for it.
   */
  @Test
  @Timeout(value = 45, unit = TimeUnit.SECONDS) // the leftover lives 60 s: waiting for it fails here
  void aLeftoverChildHoldingTheOutputCannotHangTheBake(@TempDir Path dir) throws Exception {
    PackerRunner runner = runner();
    String template = template(dir, WAITING_TEMPLATE.replace("echo busy", "echo busy; sleep 60")).toString();
    CompletableFuture<PackerRunner.Outcome> run = CompletableFuture.supplyAsync(() ->
        run(runner, dir, template, Duration.ofMinutes(5)));
    awaitPrinted("null.wait: busy", run);

    runner.interrupt();

    PackerRunner.Outcome o = run.get();
    assertThat(o.interrupted()).isTrue();
    assertThat(o.exitCode()).isNotZero();
    assertThat(printed()).contains("Cleanly cancelled builds");
  }

  @Test
  void readsTheInstalledVersion() {
    assertThat(runner().version()).hasToString("1.6.6");
  }

  @Test
  void aMissingBinaryIsToolMissingWithHowToInstall(@TempDir Path dir) {
    PackerRunner missing = new PackerRunner(dir.resolve("no-packer").toString(), Map.of(),
        new PrintWriter(progress, true));
    assertThatThrownBy(missing::version).isInstanceOf(AmiException.ToolMissing.class)
        .hasMessageStartingWith("packer not found: install it (Debian: apt-get install packer;")
        .hasMessageContaining("or pass --packer");
    assertThatThrownBy(() -> missing.run(List.of(dir.resolve("no-packer").toString(), "build"), dir,
        Duration.ofMinutes(1), lines::add)).isInstanceOf(AmiException.ToolMissing.class);
  }

  /** Waits (bounded) until Packer printed {@code text}; fails early if the run already ended. */
  private void awaitPrinted(String text, CompletableFuture<?> run) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
    while (!printed().contains(text)) {
      assertThat(run).as("Packer ended before printing '" + text + "':\n" + printed()).isNotDone();
      assertThat(System.nanoTime()).as("Packer never printed '" + text + "'").isLessThan(deadline);
      Thread.sleep(100);
    }
  }
}
