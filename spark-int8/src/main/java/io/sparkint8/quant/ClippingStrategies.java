package io.sparkint8.quant;

import io.sparkint8.kernels.memory.Float32Buffer;
import io.sparkint8.kernels.memory.OffHeapAllocator;
import io.sparkint8.kernels.spi.Axis;
import io.sparkint8.kernels.spi.Int8Backend;

/**
 * The checks the clipping strategies share (shapes, finite maxima, snapshots). The strategies
 * themselves are made by {@link ClippingKind#create}.
 */
final class ClippingStrategies {
  private ClippingStrategies() {}

  static void checkShape(String who, Int8Backend backend, Float32Buffer g, int rows, int cols) {
    if (backend == null || g == null) {
      throw new IllegalArgumentException(who + ": backend and gradient must not be null");
    }
    if (rows < 1 || cols < 1 || (long) rows * cols > g.length()) {
      throw new IllegalArgumentException(
          who
              + ": rows="
              + rows
              + " cols="
              + cols
              + " with a gradient of "
              + g.length()
              + " elements, expected rows, cols >= 1 and rows * cols <= its length");
    }
  }

  /** max|g| over the tensor; throws if it is not finite. */
  static float tensorMax(
      String who,
      Int8Backend backend,
      OffHeapAllocator allocator,
      Float32Buffer g,
      int rows,
      int cols) {
    try (Float32Buffer out = allocator.allocateFloat32(1)) {
      backend.absmax(rows, cols, g, Axis.TENSOR, out);
      float m = out.get(0);
      requireFinite(who, m, -1);
      return m;
    }
  }

  /** max|g| per column; throws if one is not finite. */
  static float[] columnMax(
      String who,
      Int8Backend backend,
      OffHeapAllocator allocator,
      Float32Buffer g,
      int rows,
      int cols) {
    try (Float32Buffer out = allocator.allocateFloat32(cols)) {
      backend.absmax(rows, cols, g, Axis.COLUMN, out);
      float[] m = out.toArray();
      for (int c = 0; c < cols; c++) {
        requireFinite(who, m[c], c);
      }
      return m;
    }
  }

  /**
   * Checks that a snapshot belongs to strategy {@code who} and holds {@code minValues} values or
   * more (exactly that many unless {@code variable}).
   */
  static void checkState(ClippingState state, String who, int minValues, boolean variable) {
    if (state == null) {
      throw new IllegalArgumentException(who + ": state must not be null");
    }
    if (!state.strategy().equals(who)) {
      throw new IllegalArgumentException(
          who + ": cannot import the state of a '" + state.strategy() + "' strategy");
    }
    if (state.size() < minValues || (!variable && state.size() != minValues)) {
      throw new IllegalArgumentException(
          who
              + " state: "
              + state.size()
              + " values, expected "
              + (variable ? "at least " : "")
              + minValues);
    }
  }

  /** Checks that a setting recorded in a snapshot equals this strategy's (bit for bit). */
  static void checkSetting(String who, String setting, double recorded, double own) {
    if (Double.compare(recorded, own) != 0) {
      throw new IllegalArgumentException(
          who
              + " state: "
              + setting
              + "="
              + recorded
              + " in the snapshot, but this strategy has "
              + setting
              + "="
              + own);
    }
  }

  private static void requireFinite(String who, float max, int channel) {
    if (!Float.isFinite(max)) {
      throw new IllegalArgumentException(
          who
              + ": the gradient holds NaN or infinity (max|g| = "
              + max
              + (channel >= 0 ? " in channel " + channel : "")
              + ")");
    }
  }
}
