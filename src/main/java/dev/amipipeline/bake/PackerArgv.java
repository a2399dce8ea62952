package dev.amipipeline.bake;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The Packer command lines of a bake, as plain lists (run with Commons Exec, never through a shell).
 * Secrets never go here: credentials reach Packer only through its environment. Values of variables
 * whose names look secret are still masked by {@link #display} in case a template grows one.
 */
public final class PackerArgv {

  private static final Pattern SECRET_NAME = Pattern.compile("(?i).*(password|secret|token|credential).*");
  private static final Pattern PLAIN_WORD = Pattern.compile("[A-Za-z0-9_./:=,@%+-]+");
  static final String MASK = "****";

  private PackerArgv() {}

  /** The template's variables for one build, in a stable order. */
  public static Map<String, Object> variables(BuildSpec b) {
    Map<String, Object> v = new LinkedHashMap<>();
    v.put("region", b.region());
    v.put("ami_regions", b.copyRegions());
    v.put("source_ami", b.source().id());
    if (b.source().rootDeviceName() != null) {
      v.put("root_device_name", b.source().rootDeviceName());
    }
    v.put("instance_type", b.bake().instanceType());
    var root = b.bake().rootVolume();
    v.put("root_volume_size", root.sizeGiB() == null ? 0 : root.sizeGiB());
    v.put("root_volume_type", root.type());
    v.put("root_volume_iops", root.iops() == null ? 0 : root.iops());
    v.put("root_volume_throughput", root.throughput() == null ? 0 : root.throughput());
    v.put("encrypt_boot", b.bake().encryptBoot());
    if (b.ec2Endpoint() != null) {
      v.put("custom_endpoint_ec2", b.ec2Endpoint().toString());
    }
    v.put("communicator", b.localMode() ? "none" : "ssh");
    v.put("ssh_username", b.bake().sshUsername());
    if (b.ssh() != null) {
      v.put("ssh_host", b.ssh().host());
      v.put("ssh_port", b.ssh().port());
      if (b.ssh().privateKey() != null) {
        v.put("ssh_private_key_file", b.ssh().privateKey().toAbsolutePath().toString());
      }
    }
    v.put("ami_name", b.amiName());
    v.put("ami_description", b.amiDescription());
    v.put("tags", new TreeMap<>(b.amiTags()));
    v.put("snapshot_tags", new TreeMap<>(b.amiTags()));
    v.put("run_tags", new TreeMap<>(b.runTags()));
    v.put("manifest_path", b.manifest().toAbsolutePath().toString());
    v.put("project", b.project());
    v.put("ssm_prefix", b.ssmPrefix());
    v.put("install_git", b.bake().git());
    v.put("jdk_version", b.bake().jdk());
    v.put("nvidia_driver", b.bake().nvidiaDriver());
    v.put("extra_packages", b.bake().packages());
    v.put("provisioners_dir", b.provisionersDir().toAbsolutePath().toString());
    v.put("launcher_dir", b.launcherDir().toAbsolutePath().toString());
    return v;
  }

  /**
   * {@code packer build -color=false -machine-readable -var k=v … TEMPLATE}; TEMPLATE is a file, or a
   * folder for Packer ≥ 1.7. Machine-readable output tells Packer's steps from a provisioner's output
   * and errors ({@link PackerLines}), which its human output does not.
   */
  public static List<String> build(String packer, Map<String, Object> variables, Path template) {
    List<String> argv = new ArrayList<>(List.of(packer, "build", "-color=false", "-machine-readable"));
    variables.forEach((name, value) -> {
      argv.add("-var");
      argv.add(name + "=" + literal(value));
    });
    argv.add(template.toString());
    return List.copyOf(argv);
  }

  /** {@code packer init FOLDER}: installs the plugins the required_plugins block names (Packer ≥ 1.7). */
  public static List<String> init(String packer, Path templateDir) {
    return List.of(packer, "init", templateDir.toString());
  }

  /** The command as a shell line a user can read and paste, with secret-looking values masked. */
  public static String display(List<String> argv) {
    List<String> shown = new ArrayList<>(argv.size());
    for (int i = 0; i < argv.size(); i++) {
      String arg = argv.get(i);
      if (i > 0 && argv.get(i - 1).equals("-var") && arg.contains("=")) {
        String name = arg.substring(0, arg.indexOf('='));
        if (SECRET_NAME.matcher(name).matches()) {
          arg = name + "=" + MASK;
        }
      }
      shown.add(shellQuote(arg));
    }
    return String.join(" ", shown);
  }

  /**
   * A value as Packer reads it after {@code -var name=}: strings as they are (string variables take
   * the raw text), everything else as an HCL literal.
   */
  static String literal(Object value) {
    if (value instanceof String s) {
      return s;
    }
    if (value instanceof List<?> list) {
      return list.stream().map(e -> hclString(String.valueOf(e))).collect(Collectors.joining(", ", "[", "]"));
    }
    if (value instanceof Map<?, ?> map) {
      return map.entrySet().stream()
          .map(e -> hclString(String.valueOf(e.getKey())) + " = " + hclString(String.valueOf(e.getValue())))
          .collect(Collectors.joining(", ", "{", "}"));
    }
    if (value instanceof Boolean || value instanceof Integer || value instanceof Long) {
      return value.toString();
    }
    throw new IllegalArgumentException("no HCL literal for " + value.getClass().getSimpleName());
  }

  /** A quoted HCL string; "${" and "%{" are escaped so a value is never read as a template. */
  static String hclString(String s) {
    StringBuilder sb = new StringBuilder("\"");
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '\\' -> sb.append("\\\\");
        case '"' -> sb.append("\\\"");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        case '$', '%' -> {
          sb.append(c);
          if (i + 1 < s.length() && s.charAt(i + 1) == '{') {
            sb.append(c);
          }
        }
        default -> sb.append(c);
      }
    }
    return sb.append('"').toString();
  }

  private static String shellQuote(String arg) {
    return PLAIN_WORD.matcher(arg).matches() ? arg : "'" + arg.replace("'", "'\"'\"'") + "'";
  }
}
