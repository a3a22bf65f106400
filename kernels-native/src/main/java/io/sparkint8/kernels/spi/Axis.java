package io.sparkint8.kernels.spi;

/** The reduction of a rows x cols statistic: one value, one per row, or one per column (channel). */
public enum Axis {
  TENSOR,
  ROW,
  COLUMN;

  public int code() {
    return ordinal();
  }

  public long outputs(int rows, int cols) {
    return this == TENSOR ? 1 : this == ROW ? rows : cols;
  }
}
