package dev.amipipeline.local;

import dev.amipipeline.bake.BuilderHost;
import dev.amipipeline.bake.SshTarget;
import dev.amipipeline.common.AmiException;
import dev.amipipeline.project.Project;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * {@code ami bake --local-root}: a throwaway Debian root booted under systemd-nspawn stands in for
 * the builder instance. It has the project's login user (bake.sshUsername) with passwordless sudo,
 * as cloud images have, and an sshd on 127.0.0.1 and a free port that trusts a key made for this
 * bake, so Packer's SSH communicator and the provisioners run exactly as on EC2, while the
 * amazon-ebs flow itself runs against the emulator. The provisioners' APT reads the local package
 * repository (read-only). When Packer is done, the builder is halted, its SSH access removed, and
 * its root kept as the local image of the new AMI ids.
 */
public final class LocalBuilder implements BuilderHost {

  private static final Duration SSH_READY = Duration.ofSeconds(90);
  private static final String SSHD_DROP_IN = "etc/ssh/sshd_config.d/ami-pipeline-local.conf";

  private final LocalPaths paths;
  private final RootCache cache;
  private final PrintWriter progress;

  public LocalBuilder(LocalPaths paths, RootCache cache, PrintWriter progress) {
    this.paths = paths;
    this.cache = cache;
    this.progress = progress;
  }

  /** Builds what the project's local bakes start from, where missing; boots nothing. */
  public RootCache.Prepared prepare(Project project) {
    return cache.ensure(RootRecipe.forBake(project.spec().bake()));
  }

  @Override
  public Session start(Project project) {
    RootCache.Prepared prepared = prepare(project);
    String name = "ami-bake-" + project.name() + "-" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt())
        .substring(0, 6);
    Path dir = Machine.newFolder(paths.machines(), name, progress);
    Path root = dir.resolve("root");
    Machine machine = null;
    try {
      say("booting the local builder " + name + " (Debian " + RootRecipe.SUITE + " under systemd-nspawn)");
      RootArchive.extract(prepared.base(), root);
      systemLocale(root);
      int port = freePort();
      Path key = dir.resolve("ssh-key");
      HostCommand.run(List.of("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", key.toString()),
          Duration.ofMinutes(1), line -> { });
      String user = project.spec().bake().sshUsername();
      grantAccess(root, user, Files.readString(key.resolveSibling("ssh-key.pub")), port);
      machine = Machine.boot(name, dir, null,
          NspawnArgv.boot(name, root, Map.of(prepared.packages(), RootRecipe.REPO_PATH)), progress);
      awaitSsh(machine, port);
      say("the local builder answers SSH on 127.0.0.1:" + port + " as " + user);
      return new LocalSession(machine, new SshTarget("127.0.0.1", port, key), new ImageStore(paths.images()), user);
    } catch (IOException e) {
      cleanUp(machine, dir);
      throw new AmiException.Failed("cannot prepare the local builder in " + dir + ": " + e.getMessage(), e);
    } catch (RuntimeException e) {
      cleanUp(machine, dir);
      throw e;
    }
  }

  private final class LocalSession implements Session {
    private final Machine machine;
    private final SshTarget target;
    private final ImageStore images;
    private final String user;

    LocalSession(Machine machine, SshTarget target, ImageStore images, String user) {
      this.machine = machine;
      this.target = target;
      this.images = images;
      this.user = user;
    }

    @Override
    public SshTarget target() {
      return target;
    }

    @Override
    public List<String> keep(Collection<String> amiIds) {
      say("halting the local builder " + machine.name() + " and keeping its root as the image of "
          + String.join(", ", amiIds));
      machine.stop(Machine.DEFAULT_GRACE);
      try {
        revokeAccess(machine.files(), user);
      } catch (IOException e) {
        throw new AmiException.Failed("cannot remove the bake's SSH access from " + machine.files() + ": "
            + e.getMessage(), e);
      }
      List<Path> files = images.save(machine.files(), amiIds);
      return List.of("local image " + files.get(0) + " (boot it with ami launch --local)");
    }

    @Override
    public void close() {
      machine.close();
    }
  }

  /** The project's login user with passwordless sudo and the bake's key; sshd on 127.0.0.1:port. */
  static void grantAccess(Path root, String user, String publicKey, int port) throws IOException {
    if (!user.equals("root") && !passwdEntry(root, user).isPresent()) {
      HostCommand.run(List.of("chroot", root.toString(), "useradd", "--create-home", "--shell", "/bin/bash",
          "--user-group", user), Duration.ofMinutes(1), line -> { });
    }
    if (!user.equals("root")) {
      Path sudoers = root.resolve("etc/sudoers.d/90-ami-pipeline-" + user);
      Files.writeString(sudoers, user + " ALL=(ALL) NOPASSWD:ALL\n");
      Files.setPosixFilePermissions(sudoers, java.nio.file.attribute.PosixFilePermissions.fromString("r--r-----"));
    }
    String home = passwdEntry(root, user).map(e -> e[5]).orElseThrow(
        () -> new AmiException.Failed("user " + user + " is missing from " + root.resolve("etc/passwd")));
    Path ssh = root.resolve(home.substring(1)).resolve(".ssh");
    Files.createDirectories(ssh);
    Files.writeString(ssh.resolve("authorized_keys"), publicKey);
    HostCommand.run(List.of("chroot", root.toString(), "sh", "-c",
        "chown -R \"$1:\" \"$2\" && chmod 0700 \"$2\" && chmod 0600 \"$2/authorized_keys\"", "sh", user,
        "/" + root.relativize(ssh)), Duration.ofMinutes(1), line -> { });
    Files.writeString(root.resolve(SSHD_DROP_IN), sshdDropIn(port));
  }

  /**
   * A system locale, as cloud images have (Ubuntu's: LANG=C.UTF-8). debootstrap's minbase sets
   * none; cloud-init, when a project installs it, would then set en_US.UTF-8, which Debian has not
   * generated, and fail its locale module on every new instance. The locales package keeps an
   * existing file.
   */
  static void systemLocale(Path root) throws IOException {
    Path locale = root.resolve("etc/default/locale");
    if (!Files.exists(locale, LinkOption.NOFOLLOW_LINKS)) {
      Files.createDirectories(locale.getParent());
      Files.writeString(locale, "LANG=C.UTF-8\n");
    }
  }

  /** What {@link #grantAccess} added that the image must not keep: the key and the sshd settings. */
  static void revokeAccess(Path root, String user) throws IOException {
    Files.deleteIfExists(root.resolve(SSHD_DROP_IN));
    String home = passwdEntry(root, user).map(e -> e[5]).orElse(user.equals("root") ? "/root" : "/home/" + user);
    Path ssh = root.resolve(home.substring(1)).resolve(".ssh");
    Files.deleteIfExists(ssh.resolve("authorized_keys"));
    Files.deleteIfExists(ssh.resolve("authorized_keys.bak")); // Packer's ssh_clear_authorized_keys leaves it
  }

  static String sshdDropIn(int port) {
    return "# Packer's way into the local builder; removed before the root becomes an image.\n"
        + "Port " + port + "\nListenAddress 127.0.0.1\nPasswordAuthentication no\n";
  }

  private static java.util.Optional<String[]> passwdEntry(Path root, String user) throws IOException {
    return Files.readAllLines(root.resolve("etc/passwd"), StandardCharsets.UTF_8).stream()
        .map(l -> l.split(":", -1)).filter(f -> f.length >= 7 && f[0].equals(user)).findFirst();
  }

  private static void awaitSsh(Machine machine, int port) {
    Instant deadline = Instant.now().plus(SSH_READY);
    while (Instant.now().isBefore(deadline)) {
      if (!machine.running()) {
        throw new AmiException.Failed("the local builder " + machine.name() + " stopped while booting (exit "
            + machine.exitCode() + "): " + machine.consoleTail());
      }
      if (sshAnswers(port)) {
        return;
      }
      machine.awaitExit(Duration.ofMillis(200));
    }
    throw new AmiException.Failed("the local builder " + machine.name() + " did not answer SSH on 127.0.0.1:" + port
        + " within " + SSH_READY.toSeconds() + " s: " + machine.consoleTail());
  }

  /** True when something on the port greets like an SSH server. */
  private static boolean sshAnswers(int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 500);
      s.setSoTimeout(2000);
      InputStream in = s.getInputStream();
      return new String(in.readNBytes(4), StandardCharsets.US_ASCII).equals("SSH-");
    } catch (IOException e) {
      return false;
    }
  }

  static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void cleanUp(Machine machine, Path dir) {
    if (machine != null) {
      machine.close();
    } else {
      HostCommand.removeTreeQuietly(dir);
    }
  }

  private void say(String line) {
    synchronized (progress) {
      progress.println("ami: " + line);
      progress.flush();
    }
  }
}
