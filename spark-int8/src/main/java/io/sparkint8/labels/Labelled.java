package io.sparkint8.labels;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * An enum constant with the label users write for it in Params, configs and persisted models
 * (lower case, e.g. {@code int8-forward}), and optionally a few words saying what it means.
 */
public interface Labelled {

  /** The string that names this value. */
  String label();

  /** A few words on what the value does, for docs; empty when the label says it all. */
  default String note() {
    return "";
  }

  /**
   * The constant of {@code type} labelled {@code value} (case-insensitive, surrounding blanks
   * ignored).
   *
   * @param setting the setting's name, for the error message
   * @throws IllegalArgumentException naming the setting, the value and the allowed labels
   */
  static <E extends Enum<E> & Labelled> E parse(Class<E> type, String setting, String value) {
    String key = value == null ? "" : value.trim().toLowerCase(Locale.ROOT);
    for (E constant : type.getEnumConstants()) {
      if (constant.label().equals(key)) {
        return constant;
      }
    }
    throw new IllegalArgumentException(setting + "=" + value + ", expected one of "
        + String.join(", ", labels(type)));
  }

  /** The labels of {@code type}, in declaration order (the allowed values of its Param). */
  static <E extends Enum<E> & Labelled> String[] labels(Class<E> type) {
    return Arrays.stream(type.getEnumConstants()).map(Labelled::label).toArray(String[]::new);
  }

  /**
   * The labels as prose for a Param's doc, each followed by its note in parentheses: {@code "max
   * (no clipping), dsgc (cosine-deviation search) or mcs (...)"}.
   */
  static <E extends Enum<E> & Labelled> String choices(Class<E> type) {
    String[] items = Arrays.stream(type.getEnumConstants())
        .map(c -> c.note().isEmpty() ? c.label() : c.label() + " (" + c.note() + ")")
        .toArray(String[]::new);
    if (items.length == 1) {
      return items[0];
    }
    return Arrays.stream(items, 0, items.length - 1).collect(Collectors.joining(", "))
        + " or " + items[items.length - 1];
  }
}
