package dev.amipipeline.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.LongStream;
import java.util.stream.Stream;

/**
 * What a local machine could leave on this host, read from /proc: processes whose command line
 * names its folder (machine.sh, systemd-nspawn) and their descendants (the container's processes),
 * mounts naming it.
 */
final class Leftovers {

  /** A process, told apart from a later one with the same pid by its start time. */
  record Proc(long pid, String startTime, String command) {
    boolean alive() {
      return startTime.equals(Leftovers.startTime(pid));
    }
  }

  private Leftovers() {}

  /**
   * The processes whose command line mentions {@code text} (machine.sh, systemd-nspawn) and all
   * their descendants: the container's systemd and everything it started, seen by their pids here.
   */
  static List<Proc> treeOf(String text) {
    return mentioning(text).stream()
        .flatMap(p -> Stream.concat(Stream.of(p.pid()), ProcessHandle.of(p.pid()).stream()
            .flatMap(ProcessHandle::descendants).map(ProcessHandle::pid)))
        .distinct().map(Leftovers::proc).filter(p -> !p.startTime().isEmpty()).toList();
  }

  /** Processes whose command line mentions {@code text}, this test's JVM aside. */
  static List<Proc> mentioning(String text) {
    long self = ProcessHandle.current().pid();
    return pids().filter(pid -> pid != self).filter(pid -> commandLine(pid).contains(text))
        .mapToObj(Leftovers::proc).filter(p -> !p.startTime().isEmpty()).toList();
  }

  /** Lines of this host's mount table that mention {@code text}. */
  static List<String> mounts(String text) {
    try {
      return Files.readAllLines(Path.of("/proc/self/mountinfo")).stream().filter(l -> l.contains(text)).toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static LongStream pids() {
    try (Stream<Path> entries = Files.list(Path.of("/proc"))) {
      long[] pids = entries.map(p -> p.getFileName().toString()).filter(n -> n.chars().allMatch(Character::isDigit))
          .mapToLong(Long::parseLong).toArray();
      return Arrays.stream(pids);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Proc proc(long pid) {
    return new Proc(pid, startTime(pid), commandLine(pid));
  }

  /** Field 22 of /proc/PID/stat (after the command name, which may hold spaces); "" when gone. */
  private static String startTime(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      return fields[19];
    } catch (IOException | RuntimeException e) {
      return "";
    }
  }

  private static String commandLine(long pid) {
    try {
      return new String(Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline"))).replace('\0', ' ');
    } catch (IOException e) {
      return "";
    }
  }
}
