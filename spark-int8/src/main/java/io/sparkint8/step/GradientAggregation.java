package io.sparkint8.step;

import io.sparkint8.labels.Labelled;

/** How a distributed step's gradients travel from the partitions to the driver. */
public enum GradientAggregation implements Labelled {
  /** Shared-scale int8 codes, stochastically rounded, summed exactly (DESIGN.md §3). */
  INT8("int8", "shared-scale codes with stochastic rounding, exact integer sums"),
  /** fp32 gradients, summed exactly up the tree as int64 fixed point: the baseline. */
  FP32("fp32", "gradients as floats, summed exactly as int64 fixed point");

  private final String label;
  private final String note;

  GradientAggregation(String label, String note) {
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

  /** The aggregation labelled {@code s} (case-insensitive). */
  public static GradientAggregation parse(String s) {
    return Labelled.parse(GradientAggregation.class, "aggregationPrecision", s);
  }
}
