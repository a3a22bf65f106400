package io.sparkint8.kernels.spi;

/** How many scales a quantized matrix has: one, one per row, or one per group of columns in a row. */
public enum Granularity {
  PER_TENSOR,
  PER_ROW,
  PER_GROUP;

  public int code() {
    return ordinal();
  }
}
