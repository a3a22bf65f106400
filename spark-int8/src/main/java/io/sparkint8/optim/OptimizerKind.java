package io.sparkint8.optim;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** The optimizers the engine offers, by the name used in configurations and checkpoints. */
public enum OptimizerKind {
  SGD("sgd"),
  LARS("lars"),
  ADAM("adam"),
  ADAMW("adamw"),
  LAMB("lamb");

  private final String label;

  OptimizerKind(String label) {
    this.label = label;
  }

  /** The lower-case name: {@code sgd}, {@code lars}, {@code adam}, {@code adamw}, {@code lamb}. */
  public String label() {
    return label;
  }

  /** The kind named {@code name} (case-insensitive, surrounding blanks ignored). */
  public static OptimizerKind parse(String name) {
    String key = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
    for (OptimizerKind kind : values()) {
      if (kind.label.equals(key)) {
        return kind;
      }
    }
    String valid =
        Arrays.stream(values()).map(OptimizerKind::label).collect(Collectors.joining(", "));
    throw new IllegalArgumentException("optimizer=" + name + ", expected one of " + valid);
  }
}
