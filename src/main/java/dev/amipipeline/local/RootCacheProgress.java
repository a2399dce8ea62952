package dev.amipipeline.local;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The local root's build (root-cache.sh: debootstrap, then apt-get downloading the packages) read
 * into one line per phase with its counts, instead of debootstrap's two lines and apt's one line
 * per package. What it does not know (the script's own lines, warnings, errors) passes through.
 * Feed it every line, then {@link #end()}; not thread-safe.
 */
final class RootCacheProgress {

  private enum Phase { NONE, INDEX, FETCH, EXTRACT, INSTALL, APT_INDEX, APT_FETCH }

  private static final Pattern DEBOOTSTRAP = Pattern.compile("^I: (.*)$");
  private static final Pattern RETRIEVING_PACKAGE = Pattern.compile("^(Retrieving|Validating) (\\S+) (\\S+)$");
  private static final Pattern EXTRACTING = Pattern.compile("^Extracting \\S+\\.\\.\\.$");
  private static final Pattern APT_GET = Pattern.compile("^Get:(\\d+) ");
  private static final Pattern NEWLY_INSTALLED = Pattern.compile("^\\d+ upgraded, (\\d+) newly installed, .*$");
  private static final Pattern FETCHED = Pattern.compile("^Fetched (.+) in (\\S+) \\(.*\\)$");
  /** apt's chatter that the counts stand for. */
  private static final Pattern APT_NOISE = Pattern.compile("^(Hit:|Ign:|Get:|Reading |Building dependency tree"
      + "|The following |Suggested packages:|Recommended packages:|Need to get |After this operation"
      + "|Download complete and in download only mode|\\d+ upgraded, |\\S+ is already the newest version|\\s).*");

  private Phase phase = Phase.NONE;
  private int fetched;
  private int extracted;
  private int aptTotal;
  private int aptFetched;
  private String aptSize;

  /** The lines to show for one line of the build's output (often none). */
  List<String> accept(String line) {
    List<String> shown = new ArrayList<>();
    Matcher debootstrap = DEBOOTSTRAP.matcher(line);
    if (debootstrap.matches()) {
      debootstrap(debootstrap.group(1), shown);
    } else if (!apt(line, shown)) {
      shown.addAll(end());
      shown.add(line);
    }
    return shown;
  }

  /** The summary of the phase that was running, if any. */
  List<String> end() {
    List<String> shown = new ArrayList<>();
    switch (phase) {
      case INDEX -> shown.add("Debian's package lists read");
      case FETCH -> shown.add(fetched + " packages fetched");
      case EXTRACT -> shown.add(extracted + " essential packages extracted");
      case INSTALL -> shown.add("installing " + fetched + " packages did not finish");
      case APT_INDEX -> shown.add("package lists read" + (aptSize == null ? "" : " (" + aptSize + ")"));
      case APT_FETCH -> shown.add(aptFetched + " of " + aptTotal + " packages fetched"
          + (aptSize == null ? "" : " (" + aptSize + ")"));
      case NONE -> { }
    }
    phase = Phase.NONE;
    aptSize = null;
    return shown;
  }

  private void debootstrap(String what, List<String> shown) {
    Matcher retrieving = RETRIEVING_PACKAGE.matcher(what);
    if (retrieving.matches() && !what.startsWith("Retrieving Packages") && !what.startsWith("Validating Packages")) {
      enter(Phase.FETCH, shown);
      if (retrieving.group(1).equals("Retrieving")) {
        fetched++;
      }
    } else if (what.startsWith("Retrieving ") || what.startsWith("Validating ") || what.startsWith("Checking ")
        || what.startsWith("Valid Release") || what.startsWith("Resolving ") || what.startsWith("Found ")) {
      enter(Phase.INDEX, shown);
    } else if (EXTRACTING.matcher(what).matches() || what.startsWith("Chosen extractor")) {
      enter(Phase.EXTRACT, shown);
      if (what.startsWith("Extracting")) {
        extracted++;
      }
    } else if (what.startsWith("Installing core packages") || what.startsWith("Unpacking ")
        || what.startsWith("Configuring ")) {
      enter(Phase.INSTALL, shown);
    } else if (what.startsWith("Base system installed")) {
      phase = Phase.NONE;
      shown.add("base system installed: " + fetched + " packages unpacked and configured");
    }
    // other notes (e.g. "Target architecture can be executed") are for the log
  }

  /** True when the line was apt's; counts it. */
  private boolean apt(String line, List<String> shown) {
    Matcher newly = NEWLY_INSTALLED.matcher(line);
    if (newly.matches()) {
      shown.addAll(end());
      aptTotal = Integer.parseInt(newly.group(1));
      phase = Phase.APT_FETCH;
      return true;
    }
    Matcher fetchedLine = FETCHED.matcher(line);
    if (fetchedLine.matches()) {
      if (phase == Phase.NONE) {
        phase = Phase.APT_INDEX;
      }
      aptSize = fetchedLine.group(1) + " in " + fetchedLine.group(2);
      return true;
    }
    if (!APT_NOISE.matcher(line).matches()) {
      return false;
    }
    Matcher get = APT_GET.matcher(line);
    if (phase == Phase.APT_FETCH) {
      if (get.find()) {
        aptFetched = Math.max(aptFetched, Integer.parseInt(get.group(1)));
      }
    } else if (phase != Phase.APT_INDEX) {
      shown.addAll(end());
      phase = Phase.APT_INDEX;
    }
    return true;
  }

  private void enter(Phase next, List<String> shown) {
    if (phase != next) {
      shown.addAll(end());
      phase = next;
    }
  }
}
