package io.sparkint8.nn;

import io.sparkint8.labels.Labelled;

/** How many scales a conv/fc weight gets when it is quantized for an int8 GEMM. */
public enum WeightScaling implements Labelled {
  /** One scale per output channel (per row of the [out x in] weight). */
  PER_CHANNEL("per-channel", "one per output channel"),
  /** One scale for the whole weight tensor. */
  PER_TENSOR("per-tensor", "");

  private final String label;
  private final String note;

  WeightScaling(String label, String note) {
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
  public static WeightScaling parse(String s) {
    return Labelled.parse(WeightScaling.class, "weightScaling", s);
  }
}
