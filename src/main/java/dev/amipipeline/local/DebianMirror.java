package dev.amipipeline.local;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The Debian archive this machine's APT uses, read from its sources (one-line or deb822 form). */
final class DebianMirror {

  static final String DEFAULT = "http://deb.debian.org/debian";
  /** {@code deb [options] URI suite …} or {@code URIs: URI …}; the archive, not debian-security. */
  private static final Pattern ARCHIVE = Pattern.compile(
      "(?m)^\\s*(?:deb\\s+(?:\\[[^\\]]*\\]\\s+)?|URIs:\\s*)(https?://\\S+/debian)/?(?:\\s|$)");

  private DebianMirror() {}

  static String of(List<String> sourceFiles) {
    for (String text : sourceFiles) {
      Matcher m = ARCHIVE.matcher(text);
      if (m.find()) {
        return m.group(1);
      }
    }
    return DEFAULT;
  }
}
