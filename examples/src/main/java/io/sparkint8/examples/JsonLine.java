package io.sparkint8.examples;

import java.util.Locale;

/** Builds one JSON object per line (flat, string and number values) for benchmark output. */
final class JsonLine {
  private final StringBuilder sb = new StringBuilder("{");

  JsonLine(String bench) {
    put("bench", bench);
  }

  JsonLine put(String key, String value) {
    sep().append('"').append(key).append("\":\"").append(escape(value)).append('"');
    return this;
  }

  JsonLine put(String key, long value) {
    sep().append('"').append(key).append("\":").append(value);
    return this;
  }

  JsonLine put(String key, boolean value) {
    sep().append('"').append(key).append("\":").append(value);
    return this;
  }

  /** A number with 4 significant digits after rounding to the useful precision. */
  JsonLine put(String key, double value) {
    String v = Double.isFinite(value) ? String.format(Locale.ROOT, "%.4g", value) : "null";
    if (v.contains("e")) {
      v = String.format(Locale.ROOT, "%.6e", value);
    }
    sep().append('"').append(key).append("\":").append(v);
    return this;
  }

  private StringBuilder sep() {
    if (sb.length() > 1) {
      sb.append(',');
    }
    return sb;
  }

  private static String escape(String s) {
    StringBuilder out = new StringBuilder();
    for (char c : s.toCharArray()) {
      if (c == '"' || c == '\\') {
        out.append('\\').append(c);
      } else if (c < 0x20) {
        out.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }

  /** The JSON object, one line. */
  @Override
  public String toString() {
    return sb + "}";
  }

  void print() {
    System.out.println(this);
    System.out.flush();
  }
}
