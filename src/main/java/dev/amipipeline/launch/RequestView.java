package dev.amipipeline.launch;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.core.SdkField;
import software.amazon.awssdk.core.SdkPojo;

/**
 * An SDK request as plain maps and lists, field by field as it goes on the wire, for --dry-run to
 * print the exact request. User-data is shown decoded (the SDK's own toString hides it); it holds
 * nothing secret by contract.
 */
final class RequestView {

  private RequestView() {}

  static Map<String, Object> of(SdkPojo request) {
    Map<String, Object> view = new LinkedHashMap<>();
    for (SdkField<?> field : request.sdkFields()) {
      Object value = plain(field.getValueOrDefault(request));
      if (value == null || value instanceof Collection<?> c && c.isEmpty() || value instanceof Map<?, ?> m && m.isEmpty()) {
        continue;
      }
      if ("UserData".equals(field.memberName()) && value instanceof String encoded) {
        value = new String(Base64.getDecoder().decode(encoded), StandardCharsets.UTF_8);
      }
      view.put(field.memberName(), value);
    }
    return view;
  }

  private static Object plain(Object value) {
    if (value instanceof SdkPojo pojo) {
      return of(pojo);
    }
    if (value instanceof List<?> list) {
      return list.stream().map(RequestView::plain).toList();
    }
    return value == null ? null : value instanceof Number || value instanceof Boolean ? value : value.toString();
  }
}
