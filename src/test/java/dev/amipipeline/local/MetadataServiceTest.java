package dev.amipipeline.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The metadata stand-in's instance tags and type, read as an instance reads them (IMDSv2). */
class MetadataServiceTest {

  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private MetadataService imds;
  private String token;

  @BeforeEach
  void start() throws Exception {
    imds = MetadataService.start("i-0123456789abcdef0", "us-east-1", "ami-0123456789abcdef0");
    token = HTTP.send(HttpRequest.newBuilder(imds.endpoint().resolve(MetadataService.TOKEN_PATH))
        .header(MetadataService.TTL_HEADER, "60").PUT(HttpRequest.BodyPublishers.noBody()).build(),
        HttpResponse.BodyHandlers.ofString()).body();
  }

  @AfterEach
  void stop() {
    imds.close();
  }

  @Test
  void tagsAreListedAndReadByKeyAndCanChangeWhileItRuns() throws Exception {
    assertThat(get("/latest/meta-data/tags/instance")).isEqualTo("404 Not Found");
    imds.tag("ami-pipeline:run", "demo-20261202-101500-3fa9");
    imds.tag("Name", "demo-20261202-101500");

    assertThat(get("/latest/meta-data/tags/instance")).isEqualTo("200 ami-pipeline:run\nName");
    assertThat(get("/latest/meta-data/tags/instance/ami-pipeline:run")).isEqualTo("200 demo-20261202-101500-3fa9");
    assertThat(get("/latest/meta-data/tags/instance/ami-pipeline:cancelled")).isEqualTo("404 Not Found");

    imds.tag("ami-pipeline:cancelled", "2026-12-02T11:00:00Z");
    imds.tag("Name", null);
    assertThat(get("/latest/meta-data/tags/instance/ami-pipeline:cancelled")).isEqualTo("200 2026-12-02T11:00:00Z");
    assertThat(get("/latest/meta-data/tags/instance")).isEqualTo("200 ami-pipeline:run\nami-pipeline:cancelled");
    assertThat(get("/latest/meta-data/tags/instance/Name")).isEqualTo("404 Not Found");
  }

  @Test
  void allTagsCanBeReplacedAtOnceAsTheEmulatorHasThemNow() throws Exception {
    imds.tag("ami-pipeline:run", "demo-20261202-101500-3fa9");
    imds.tag("Name", "demo-20261202-101500");

    Map<String, String> now = new LinkedHashMap<>();
    now.put("ami-pipeline:run", "demo-20261202-101500-3fa9");
    now.put("ami-pipeline:cancelled", "2026-12-02T11:00:00Z");
    imds.tags(now);

    assertThat(get("/latest/meta-data/tags/instance")).isEqualTo("200 ami-pipeline:run\nami-pipeline:cancelled");
    assertThat(get("/latest/meta-data/tags/instance/ami-pipeline:cancelled")).isEqualTo("200 2026-12-02T11:00:00Z");
    assertThat(get("/latest/meta-data/tags/instance/Name")).isEqualTo("404 Not Found");
    imds.tags(Map.of());
    assertThat(get("/latest/meta-data/tags/instance")).isEqualTo("404 Not Found");
  }

  @Test
  void theInstanceTypeAndMarketAreServedOnceSetAndTagsNeedAToken() throws Exception {
    assertThat(get("/latest/meta-data/instance-type")).isEqualTo("404 Not Found");
    assertThat(get("/latest/meta-data/instance-life-cycle")).isEqualTo("404 Not Found");
    imds.instanceType("g5.xlarge");
    imds.market("spot");
    assertThat(get("/latest/meta-data/instance-type")).isEqualTo("200 g5.xlarge");
    assertThat(get("/latest/meta-data/instance-life-cycle")).isEqualTo("200 spot");

    imds.tag("ami-pipeline:run", "demo-20261202-101500-3fa9");
    token = "not-a-token";
    assertThat(get("/latest/meta-data/tags/instance/ami-pipeline:run")).isEqualTo("401 ");
  }

  /** The status and body of a GET with the session token. */
  private String get(String path) throws IOException, InterruptedException {
    HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(imds.endpoint().resolve(path))
        .header(MetadataService.TOKEN_HEADER, token).GET().build(), HttpResponse.BodyHandlers.ofString());
    return r.statusCode() + " " + r.body();
  }
}
