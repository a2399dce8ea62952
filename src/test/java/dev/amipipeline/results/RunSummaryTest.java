package dev.amipipeline.results;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.amipipeline.common.Json;
import org.junit.jupiter.api.Test;

class RunSummaryTest {

  private static final RunId RUN = RunId.parse("demo-20261202-101500-3fa9");
  private static final ObjectMapper READ = Json.OUTPUT;

  /** run.json as RUNS.md has the instance write it, with a field added later. */
  private static String runJson(int nodes, int attempts, String instances) {
    return """
        {"runId": "demo-20261202-101500-3fa9", "project": "demo", "state": "failed",
         "startedAt": "2026-12-02T10:15:03Z", "endedAt": "2026-12-02T10:20:00Z", "nodes": %d, "attempts": %d,
         "instances": [%s], "addedLater": 1}
        """.formatted(nodes, attempts, instances);
  }

  private static String node(String id, int attempt, int code, String reason) {
    return """
        {"instanceId": "%s", "instanceType": "t3.micro", "attempt": %d, "exitCode": %d, "reason": "%s",
         "startedAt": "2026-12-02T10:15:03Z", "endedAt": "2026-12-02T10:20:00Z"}"""
        .formatted(id, attempt, code, reason);
  }

  @Test
  void itStandsForTheRunWhenItListsEveryNodeOfTheLastAttempt() throws Exception {
    RunSummary two = READ.readValue(runJson(2, 2, String.join(",", node("i-00000001", 1, 143, "spot-interruption"),
        node("i-00000002", 2, 0, "exited"), node("i-00000003", 2, 3, "exited"))), RunSummary.class);

    assertThat(two.complete(RUN)).isTrue();
    assertThat(two.ended()).hasValue(java.time.Instant.parse("2026-12-02T10:20:00Z"));
    assertThat(two.instances().get(2).exitStatus(RUN.value())).isEqualTo(new ExitStatus(3, "exited",
        "2026-12-02T10:15:03Z", "2026-12-02T10:20:00Z", "i-00000003", null, RUN.value(), 2, "t3.micro"));
  }

  @Test
  void oneWrittenBeforeTheOtherNodesEndedOrForAnotherRunDoesNot() throws Exception {
    RunSummary early = READ.readValue(runJson(2, 1, node("i-00000001", 1, 0, "exited")), RunSummary.class);
    RunSummary other = READ.readValue(runJson(1, 1, node("i-00000001", 1, 0, "exited")), RunSummary.class);

    assertThat(early.complete(RUN)).isFalse();
    assertThat(other.complete(RunId.parse("demo-20261202-101500-0000"))).isFalse();
  }
}
