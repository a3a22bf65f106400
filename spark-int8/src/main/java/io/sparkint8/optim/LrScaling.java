package io.sparkint8.optim;

import io.sparkint8.labels.Labelled;

/** Whether the learning rate grows with the global batch ({@link LinearScaling}). */
public enum LrScaling implements Labelled {
  /** The rate is the base rate times globalBatch / 256. */
  LINEAR("linear", "the base rate x global batch / 256"),
  /** The rate is the base rate. */
  NONE("none", "");

  private final String label;
  private final String note;

  LrScaling(String label, String note) {
    this.label = label;
    this.note = note;
  }

  @Override
  public String label() {
    return label;
  }

  @Override
  public String note() {
    return note;
  }

  /** The label, so that messages and records print what users write. */
  @Override
  public String toString() {
    return label;
  }

  /** The scaling labelled {@code s} (case-insensitive). */
  public static LrScaling parse(String s) {
    return Labelled.parse(LrScaling.class, "lrScaling", s);
  }

  /** The peak rate for {@code baseLr} at a global batch of {@code globalBatch}. */
  public double peak(double baseLr, long globalBatch) {
    return this == LINEAR ? LinearScaling.scale(baseLr, globalBatch) : baseLr;
  }
}
