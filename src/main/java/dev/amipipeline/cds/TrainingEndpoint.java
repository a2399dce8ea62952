package dev.amipipeline.cds;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A loopback stand-in for AWS used only by {@link CdsTraining}: it answers each call with a
 * small well-formed response, so the training run loads the classes that parse answers (XML and
 * JSON readers, the model classes and their builders) as well as those that send requests. A real
 * command spends about a tenth of a second on these at its first call when they are not archived.
 * It answers only what the training run asks; nothing about it is AWS's behaviour.
 */
final class TrainingEndpoint implements AutoCloseable {

  private static final String HOST = "127.0.0.1";

  private static final Pattern ACTION = Pattern.compile("(?:^|&)Action=([A-Za-z]+)");

  private static final String IMAGE = """
      <item><imageId>ami-12345678</imageId><imageState>available</imageState><name>cds-1</name>\
      <imageOwnerId>123456789012</imageOwnerId><creationDate>2026-01-01T00:00:00.000Z</creationDate>\
      <architecture>x86_64</architecture><rootDeviceName>/dev/sda1</rootDeviceName>\
      <blockDeviceMapping><item><deviceName>/dev/sda1</deviceName><ebs><snapshotId>snap-12345678</snapshotId>\
      <volumeSize>8</volumeSize><volumeType>gp3</volumeType><deleteOnTermination>true</deleteOnTermination></ebs>\
      </item></blockDeviceMapping><tagSet><item><key>ami-pipeline:project</key><value>cds</value></item></tagSet>\
      </item>""";

  private static final String INSTANCE = """
      <item><instanceId>i-12345678</instanceId><imageId>ami-12345678</imageId><instanceType>t3.micro</instanceType>\
      <instanceState><code>16</code><name>running</name></instanceState><launchTime>2026-01-01T00:00:00.000Z</launchTime>\
      <placement><availabilityZone>us-east-1a</availabilityZone></placement><privateIpAddress>10.0.0.1</privateIpAddress>\
      <tagSet><item><key>ami-pipeline:project</key><value>cds</value></item></tagSet></item>""";

  private static final String TEMPLATE = """
      <launchTemplateId>lt-12345678</launchTemplateId><launchTemplateName>cds</launchTemplateName>\
      <defaultVersionNumber>1</defaultVersionNumber><latestVersionNumber>1</latestVersionNumber>""";

  private static final String TEMPLATE_VERSION = """
      <launchTemplateId>lt-12345678</launchTemplateId><versionNumber>1</versionNumber>\
      <launchTemplateData><imageId>ami-12345678</imageId></launchTemplateData>""";

  /** EC2 and STS answers by action; any other action gets {@code <return>true</return>}. */
  private static final Map<String, String> QUERY_BODIES = Map.ofEntries(
      Map.entry("DescribeImages", "<imagesSet>" + IMAGE + "</imagesSet>"),
      Map.entry("DescribeSnapshots", "<snapshotSet><item><snapshotId>snap-12345678</snapshotId>"
          + "<volumeSize>8</volumeSize><status>completed</status><startTime>2026-01-01T00:00:00.000Z</startTime>"
          + "<ownerId>123456789012</ownerId>"
          + "<tagSet><item><key>ami-pipeline:project</key><value>cds</value></item></tagSet></item></snapshotSet>"),
      Map.entry("DescribeInstances", "<reservationSet><item><reservationId>r-12345678</reservationId><instancesSet>"
          + INSTANCE + "</instancesSet></item></reservationSet>"),
      Map.entry("RunInstances", "<reservationId>r-12345678</reservationId><instancesSet>" + INSTANCE
          + "</instancesSet>"),
      Map.entry("DescribeLaunchTemplates", "<launchTemplates><item>" + TEMPLATE + "</item></launchTemplates>"),
      Map.entry("CreateLaunchTemplate", "<launchTemplate>" + TEMPLATE + "</launchTemplate>"),
      Map.entry("CreateLaunchTemplateVersion", "<launchTemplateVersion>" + TEMPLATE_VERSION
          + "</launchTemplateVersion>"),
      Map.entry("DescribeLaunchTemplateVersions", "<launchTemplateVersionSet><item>" + TEMPLATE_VERSION
          + "</item></launchTemplateVersionSet>"),
      Map.entry("CreateFleet", "<fleetId>fleet-12345678</fleetId><errorSet/><fleetInstanceSet><item><instanceIds>"
          + "<item>i-12345678</item></instanceIds><instanceType>t3.micro</instanceType><lifecycle>spot</lifecycle>"
          + "</item></fleetInstanceSet>"),
      Map.entry("DescribeFleets", "<fleetSet><item><fleetId>fleet-12345678</fleetId><fleetState>active</fleetState>"
          + "<type>maintain</type><validUntil>2026-01-01T00:00:00.000Z</validUntil><tagSet><item>"
          + "<key>ami-pipeline:project</key><value>cds</value></item><item><key>ami-pipeline:run</key>"
          + "<value>cds-20260101-000000-0001</value></item></tagSet></item></fleetSet>"),
      Map.entry("DescribeFleetInstances", "<activeInstanceSet><item><instanceId>i-12345678</instanceId>"
          + "<instanceType>t3.micro</instanceType><instanceHealth>healthy</instanceHealth></item></activeInstanceSet>"
          + "<fleetId>fleet-12345678</fleetId>"),
      Map.entry("DeleteFleets", "<successfulFleetDeletionSet><item><currentFleetState>deleted_terminating"
          + "</currentFleetState><previousFleetState>active</previousFleetState><fleetId>fleet-12345678</fleetId>"
          + "</item></successfulFleetDeletionSet><unsuccessfulFleetDeletionSet/>"),
      Map.entry("GetConsoleOutput", "<instanceId>i-12345678</instanceId><output>Y2RzCg==</output>"),
      Map.entry("DescribeInstanceTypes", "<instanceTypeSet><item><instanceType>g5.xlarge</instanceType>"
          + "<currentGeneration>true</currentGeneration><vCpuInfo><defaultVCpus>4</defaultVCpus></vCpuInfo>"
          + "<memoryInfo><sizeInMiB>16384</sizeInMiB></memoryInfo><processorInfo><supportedArchitectures>"
          + "<item>x86_64</item></supportedArchitectures></processorInfo><gpuInfo><gpus><item><name>A10G</name>"
          + "<manufacturer>NVIDIA</manufacturer><count>1</count><memoryInfo><sizeInMiB>22888</sizeInMiB></memoryInfo>"
          + "</item></gpus></gpuInfo><instanceStorageInfo><totalSizeInGB>250</totalSizeInGB></instanceStorageInfo>"
          + "</item></instanceTypeSet>"),
      Map.entry("DescribeSpotPriceHistory", "<spotPriceHistorySet><item><instanceType>g5.xlarge</instanceType>"
          + "<productDescription>Linux/UNIX</productDescription><spotPrice>0.4</spotPrice>"
          + "<timestamp>2026-01-01T00:00:00.000Z</timestamp><availabilityZone>us-east-1a</availabilityZone></item>"
          + "</spotPriceHistorySet>"),
      Map.entry("GetCallerIdentity", "<GetCallerIdentityResult><Account>123456789012</Account>"
          + "<Arn>arn:aws:iam::123456789012:user/cds</Arn><UserId>CDS</UserId></GetCallerIdentityResult>"));

  private static final String PARAMETER = """
      {"Name":"/ami-pipeline/cds/ami-id","Type":"String","Value":"ami-12345678","Version":1,\
      "DataType":"aws:ec2:image","LastModifiedDate":1767225600}""";

  /** S3's ListObjectsV2: one object and one folder, as a run's folder lists. */
  private static final String LIST_OBJECTS = """
      <?xml version="1.0" encoding="UTF-8"?>
      <ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>cds-training</Name><Prefix>cds/</Prefix>\
      <KeyCount>2</KeyCount><MaxKeys>1000</MaxKeys><Delimiter>/</Delimiter><IsTruncated>false</IsTruncated>\
      <Contents><Key>cds/run.json</Key><LastModified>2026-01-01T00:00:00.000Z</LastModified><ETag>"cds"</ETag>\
      <Size>2</Size><StorageClass>STANDARD</StorageClass></Contents>\
      <CommonPrefixes><Prefix>cds/i-12345678/</Prefix></CommonPrefixes></ListBucketResult>""";

  /** SSM answers by operation (the X-Amz-Target after the dot). */
  private static final Map<String, String> JSON_BODIES = Map.of(
      "GetParameter", "{\"Parameter\":" + PARAMETER + "}",
      "GetParameterHistory", "{\"Parameters\":[" + PARAMETER + "]}",
      "PutParameter", "{\"Version\":1,\"Tier\":\"Standard\"}");

  private final HttpServer server;

  private TrainingEndpoint(HttpServer server) {
    this.server = server;
  }

  static TrainingEndpoint start() throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress(HOST, 0), 0);
    server.createContext("/", TrainingEndpoint::answer);
    server.start();
    return new TrainingEndpoint(server);
  }

  URI uri() {
    return URI.create("http://" + HOST + ":" + server.getAddress().getPort());
  }

  private static void answer(HttpExchange exchange) throws IOException {
    String request;
    try (InputStream in = exchange.getRequestBody()) {
      request = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    String target = exchange.getRequestHeaders().getFirst("X-Amz-Target");
    String body;
    String type;
    if (target != null) {
      body = JSON_BODIES.getOrDefault(target.substring(target.indexOf('.') + 1), "{}");
      type = "application/x-amz-json-1.1";
    } else {
      Matcher action = ACTION.matcher(request); // action names are never escaped
      String query = exchange.getRequestURI().getRawQuery();
      if (action.find()) {
        String name = action.group(1);
        body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<" + name + "Response xmlns=\"http://ec2.amazonaws.com/doc/"
            + "2016-11-15/\">" + QUERY_BODIES.getOrDefault(name, "<return>true</return>")
            + "<requestId>cds</requestId></" + name + "Response>"; // the result first: STS's reader expects it there
        type = "text/xml";
      } else if (query != null && query.contains("list-type=2")) {
        body = LIST_OBJECTS;
        type = "application/xml";
      } else { // S3: HeadObject, GetObject and friends need only the status
        exchange.getResponseHeaders().add("ETag", "\"cds\"");
        exchange.sendResponseHeaders(200, -1);
        exchange.close();
        return;
      }
    }
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().add("Content-Type", type);
    exchange.sendResponseHeaders(200, bytes.length);
    exchange.getResponseBody().write(bytes);
    exchange.close();
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
