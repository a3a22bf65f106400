package io.sparkint8.quant;

import io.sparkint8.labels.Labelled;

/**
 * How quantized errors (activation gradients) are rounded. Only stochastic rounding is offered:
 * round-to-nearest biases small gradients to zero. Forward operands always round to nearest even.
 */
public enum ErrorRounding implements Labelled {
  STOCHASTIC("stochastic",
      "unbiased; the only mode offered, nearest rounding biases small gradients to zero");

  private final String label;
  private final String note;

  ErrorRounding(String label, String note) {
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

  /** The rounding labelled {@code s} (case-insensitive). */
  public static ErrorRounding parse(String s) {
    return Labelled.parse(ErrorRounding.class, "rounding", s);
  }
}
