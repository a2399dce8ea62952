package dev.amipipeline.local;

import dev.amipipeline.common.AmiException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The local images: what a local bake's builder became, one zstd tarball per AMI id the bake
 * recorded ({@code <state>/images/<ami-id>.tar.zst}; copies in other regions are hard links).
 * {@code ami launch --local} boots a throwaway copy of one.
 */
public final class ImageStore {

  private static final Object UNPACKING = new Object();
  private static final Pattern AMI_ID = Pattern.compile("ami-[0-9a-f]{8,17}");

  private final Path dir;

  public ImageStore(Path dir) {
    this.dir = dir;
  }

  public Path path(String amiId) {
    if (!AMI_ID.matcher(amiId).matches()) {
      throw new IllegalArgumentException("not an AMI id: " + amiId);
    }
    return dir.resolve(amiId + ".tar.zst");
  }

  public boolean has(String amiId) {
    return Files.isRegularFile(path(amiId));
  }

  /** Packs {@code root} as the image of every id in {@code amiIds}; returns the files. */
  public List<Path> save(Path root, Collection<String> amiIds) {
    List<String> ids = List.copyOf(amiIds);
    Path first = path(ids.get(0));
    RootArchive.pack(root, first);
    List<Path> files = new ArrayList<>(List.of(first));
    for (String id : ids.subList(1, ids.size())) {
      try {
        Files.deleteIfExists(path(id));
        files.add(Files.createLink(path(id), first));
      } catch (IOException e) {
        throw new AmiException.Failed("cannot link " + path(id) + " to " + first + ": " + e.getMessage(), e);
      }
    }
    return files;
  }

  /**
   * The image of {@code amiId} unpacked, once, beside its tarball ({@code <ami-id>.root}): the
   * read-only lower layer every local instance of it boots from, so that starting one copies
   * nothing.
   */
  public Path unpacked(String amiId) {
    // The nodes of a run boot at once from one image: the first unpacks it, the others wait for it.
    synchronized (UNPACKING) {
      return unpackedOnce(amiId);
    }
  }

  private Path unpackedOnce(String amiId) {
    Path root = dir.resolve(amiId + ".root");
    if (Files.isDirectory(root)) {
      return root;
    }
    Path part = dir.resolve(amiId + ".root.part-" + ProcessHandle.current().pid());
    try {
      RootArchive.extract(path(amiId), part);
      Files.move(part, root, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      if (!Files.isDirectory(root)) { // another launch unpacked it first: theirs is as good
        throw new AmiException.Failed("cannot unpack " + path(amiId) + " to " + root + ": " + e.getMessage(), e);
      }
    } finally {
      if (Files.exists(part)) {
        HostCommand.removeTreeQuietly(part);
      }
    }
    return root;
  }
}
