package io.sparkint8.quant;

import io.sparkint8.kernels.memory.Float32Buffer;
import io.sparkint8.kernels.memory.OffHeapAllocator;
import io.sparkint8.kernels.spi.Axis;
import io.sparkint8.kernels.spi.Int8Backend;
import java.util.List;
import java.util.Locale;

/** Makes {@link ClippingStrategy} instances by name, and holds the checks they share. */
public final class ClippingStrategies {
  /** The valid names, in the order they are documented. */
  public static final List<String> NAMES = List.of("max", "dsgc", "mcs");

  private ClippingStrategies() {}

  /** A new strategy with its defaults; {@code bits} is the gradient bit width DSGC evaluates. */
  public static ClippingStrategy create(String name, int bits) {
    return create(name, bits, DsgcClipping.DEFAULT_CLIP_UPDATE_INTERVAL);
  }

  /**
   * A new strategy called {@code name} (case-insensitive). {@code bits} and {@code
   * clipUpdateInterval} are used by {@code dsgc} and validated for every name, so a bad setting
   * fails whichever is chosen.
   */
  public static ClippingStrategy create(String name, int bits, int clipUpdateInterval) {
    String n = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
    if (!NAMES.contains(n)) {
      throw new IllegalArgumentException(
          "clipping=" + name + ": expected one of " + String.join(", ", NAMES));
    }
    DsgcClipping dsgc = new DsgcClipping(bits, clipUpdateInterval, true);
    switch (n) {
      case "max":
        return new MaxClipping();
      case "dsgc":
        return dsgc;
      default:
        return new McsClipping();
    }
  }

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
