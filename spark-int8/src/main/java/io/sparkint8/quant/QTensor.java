package io.sparkint8.quant;

import io.sparkint8.kernels.memory.Float32Buffer;
import io.sparkint8.kernels.memory.Int8Buffer;
import io.sparkint8.kernels.memory.OffHeapAllocator;
import io.sparkint8.kernels.spi.Int8Backend;
import io.sparkint8.kernels.spi.QuantDesc;

/**
 * A quantized rows x cols matrix: its int8 codes and the scales that give them meaning, with the
 * bits, granularity and group size needed to read them. Keeping them in one owner is the point —
 * codes that lose their scales are noise.
 *
 * <p>Element (r, c) dequantizes to {@code code * scale[group]}. Codes are stored row-major in the
 * logical layout, except for {@link QuantGranularity#PER_COLUMN}, whose codes are stored transposed
 * ([cols x rows], channel-major) because the kernels scale per row; {@link #codesTransposed()} says
 * which, and {@link #kernelDesc()} describes the stored layout for a backend. {@link #dequantize}
 * always returns the logical layout.
 *
 * <p>The tensor owns its two buffers and closes them on {@link #close()} (idempotent); it is not
 * thread-safe for concurrent writes, and {@link Quantizer#quantizeInto} overwrites it in place.
 */
public final class QTensor implements AutoCloseable {
  private final QuantizerConfig config;
  private final int rows;
  private final int cols;
  private final Int8Buffer codes;
  private final Float32Buffer scales;

  /** Wraps codes and scales, taking ownership of both; their lengths must fit the shape. */
  public QTensor(
      QuantizerConfig config, int rows, int cols, Int8Buffer codes, Float32Buffer scales) {
    if (config == null || codes == null || scales == null) {
      throw new IllegalArgumentException("QTensor: config, codes and scales must not be null");
    }
    if (rows < 1 || cols < 1 || (long) rows * cols > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(
          "QTensor: rows="
              + rows
              + " cols="
              + cols
              + ", expected >= 1 and at most 2^31-1 elements");
    }
    int groups = config.groups(rows, cols);
    if (codes.length() != rows * cols || scales.length() != groups) {
      throw new IllegalArgumentException(
          "QTensor "
              + rows
              + " x "
              + cols
              + " ("
              + config.granularity().label()
              + "): "
              + codes.length()
              + " codes and "
              + scales.length()
              + " scales, expected "
              + rows * cols
              + " and "
              + groups);
    }
    this.config = config;
    this.rows = rows;
    this.cols = cols;
    this.codes = codes;
    this.scales = scales;
  }

  /** A zeroed tensor of this shape, ready for {@link Quantizer#quantizeInto}. */
  public static QTensor allocate(
      OffHeapAllocator allocator, QuantizerConfig config, int rows, int cols) {
    if (rows < 1 || cols < 1 || (long) rows * cols > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(
          "QTensor: rows="
              + rows
              + " cols="
              + cols
              + ", expected >= 1 and at most 2^31-1 elements");
    }
    Int8Buffer c = allocator.allocateInt8((long) rows * cols);
    try {
      return new QTensor(
          config, rows, cols, c, allocator.allocateFloat32(config.groups(rows, cols)));
    } catch (RuntimeException e) {
      c.close();
      throw e;
    }
  }

  public QuantizerConfig config() {
    return config;
  }

  /** Logical rows. */
  public int rows() {
    return rows;
  }

  /** Logical columns. */
  public int cols() {
    return cols;
  }

  public int bits() {
    return config.bits();
  }

  public int qmax() {
    return config.qmax();
  }

  public QuantGranularity granularity() {
    return config.granularity();
  }

  /** Columns per group under {@link QuantGranularity#GROUP}, else 0. */
  public int groupSize() {
    return config.groupSize();
  }

  /** True when the codes are stored [cols x rows] (per-column granularity). */
  public boolean codesTransposed() {
    return config.granularity() == QuantGranularity.PER_COLUMN;
  }

  /** The codes as stored (see {@link #codesTransposed()}); borrowed, do not close. */
  public Int8Buffer codes() {
    return codes;
  }

  /** One scale per group (a code times its scale is its value); borrowed, do not close. */
  public Float32Buffer scales() {
    return scales;
  }

  public int groups() {
    return scales.length();
  }

  public float scale(int group) {
    return scales.get(group);
  }

  public float[] scalesArray() {
    return scales.toArray();
  }

  /** The code of logical element (r, c), wherever it is stored. */
  public byte code(int r, int c) {
    if (r < 0 || r >= rows || c < 0 || c >= cols) {
      throw new IndexOutOfBoundsException(
          "(" + r + ", " + c + ") outside a " + rows + " x " + cols + " QTensor");
    }
    return codes.get(codesTransposed() ? c * rows + r : r * cols + c);
  }

  /**
   * The kernel descriptor of the stored codes (nearest rounding; rounding does not matter to read).
   */
  public QuantDesc kernelDesc() {
    return kernelDesc(config, rows, cols, 0L, 0L);
  }

  static QuantDesc kernelDesc(QuantizerConfig config, int rows, int cols, long seed, long stream) {
    boolean transposed = config.granularity() == QuantGranularity.PER_COLUMN;
    return new QuantDesc(
        transposed ? cols : rows,
        transposed ? rows : cols,
        config.bits(),
        config.granularity().kernelGranularity(),
        config.groupSize(),
        config.rounding(),
        config.pow2Scales(),
        seed,
        stream);
  }

  /** A new rows x cols fp32 buffer (logical layout) holding code * scale; the caller owns it. */
  public Float32Buffer dequantize(Int8Backend backend, OffHeapAllocator allocator) {
    Float32Buffer dst = allocator.allocateFloat32((long) rows * cols);
    try {
      dequantizeInto(backend, allocator, dst);
      return dst;
    } catch (RuntimeException e) {
      dst.close();
      throw e;
    }
  }

  /**
   * Writes code * scale into dst (rows x cols, logical layout). The allocator is used only for the
   * scratch of a transposed tensor.
   */
  public void dequantizeInto(Int8Backend backend, OffHeapAllocator allocator, Float32Buffer dst) {
    if (dst.length() < rows * cols) {
      throw new IllegalArgumentException(
          "dequantize: dst has " + dst.length() + " elements, expected >= " + rows * cols);
    }
    if (!codesTransposed()) {
      backend.dequantize(kernelDesc(), codes, scales, dst);
      return;
    }
    try (Float32Buffer t = allocator.allocateFloat32((long) rows * cols)) {
      backend.dequantize(kernelDesc(), codes, scales, t);
      Transpose.transpose(t, cols, rows, dst);
    }
  }

  public boolean isClosed() {
    return codes.isClosed() && scales.isClosed();
  }

  @Override
  public void close() {
    try {
      codes.close();
    } finally {
      scales.close();
    }
  }

  @Override
  public String toString() {
    return "QTensor["
        + rows
        + " x "
        + cols
        + ", "
        + config.bits()
        + " bits, "
        + config.granularity().label()
        + (config.granularity() == QuantGranularity.GROUP ? " of " + config.groupSize() : "")
        + (config.pow2Scales() ? ", pow2 scales" : "")
        + (isClosed() ? ", closed]" : "]");
  }
}
