package io.sparkint8.nn;

import java.util.Locale;

/**
 * Which GEMMs of a conv/linear layer run in int8 (DESIGN.md §4). BN, softmax, pooling and residual adds
 * stay fp32 in every mode.
 */
public enum Precision {
  /** All three GEMMs in fp32: the baseline of the same engine. */
  FP32("fp32"),
  /** Forward GEMM in int8; grad_input and grad_weight in fp32. */
  INT8_FORWARD("int8-forward"),
  /** Fully quantized: forward, grad_input and grad_weight all int8 (errors at gradientBits). */
  INT8("int8");

  private final String label;

  Precision(String label) {
    this.label = label;
  }

  public String label() {
    return label;
  }

  public boolean int8Forward() {
    return this != FP32;
  }

  public boolean int8Backward() {
    return this == INT8;
  }

  public static Precision parse(String s) {
    String v = s == null ? "" : s.trim().toLowerCase(Locale.ROOT);
    for (Precision p : values()) {
      if (p.label.equals(v)) {
        return p;
      }
    }
    throw new IllegalArgumentException(
        "precision '" + s + "': expected one of fp32, int8-forward, int8");
  }

  @Override
  public String toString() {
    return label;
  }
}
