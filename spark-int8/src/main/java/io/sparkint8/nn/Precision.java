package io.sparkint8.nn;

import io.sparkint8.labels.Labelled;

/**
 * Which GEMMs of a conv/linear layer run in int8 (DESIGN.md §4). BN, softmax, pooling and residual adds
 * stay fp32 in every mode.
 */
public enum Precision implements Labelled {
  /** All three GEMMs in fp32: the baseline of the same engine. */
  FP32("fp32", "none"),
  /** Forward GEMM in int8; grad_input and grad_weight in fp32. */
  INT8_FORWARD("int8-forward", "forward only"),
  /** Fully quantized: forward, grad_input and grad_weight all int8 (errors at gradientBits). */
  INT8("int8", "forward, grad_input and grad_weight");

  private final String label;
  private final String note;

  Precision(String label, String note) {
    this.label = label;
    this.note = note;
  }

  @Override
  public String label() {
    return label;
  }

  /** Which GEMMs run in int8. */
  @Override
  public String note() {
    return note;
  }

  public boolean int8Forward() {
    return this != FP32;
  }

  public boolean int8Backward() {
    return this == INT8;
  }

  /** The precision labelled {@code s} (case-insensitive). */
  public static Precision parse(String s) {
    return Labelled.parse(Precision.class, "precision", s);
  }

  @Override
  public String toString() {
    return label;
  }
}
