package io.sparkint8.optim;

import io.sparkint8.labels.Labelled;

/** The optimizers the engine offers, by the name used in configurations and checkpoints. */
public enum OptimizerKind implements Labelled {
  SGD("sgd", ""),
  LARS("lars", "layer-wise trust ratio, eta 0.001"),
  ADAM("adam", ""),
  ADAMW("adamw", ""),
  LAMB("lamb", "");

  private final String label;
  private final String note;

  OptimizerKind(String label, String note) {
    this.label = label;
    this.note = note;
  }

  /** The lower-case name: {@code sgd}, {@code lars}, {@code adam}, {@code adamw}, {@code lamb}. */
  @Override
  public String label() {
    return label;
  }

  @Override
  public String note() {
    return note;
  }

  /** Whether the optimizer reads {@code momentum} and {@code nesterov} (sgd and lars). */
  public boolean usesMomentum() {
    return this == SGD || this == LARS;
  }

  /** The kind named {@code name} (case-insensitive, surrounding blanks ignored). */
  public static OptimizerKind parse(String name) {
    return Labelled.parse(OptimizerKind.class, "optimizer", name);
  }
}
