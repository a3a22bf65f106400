package io.sparkint8.quant;

import io.sparkint8.kernels.memory.Float32Buffer;
import io.sparkint8.kernels.memory.OffHeapAllocator;
import io.sparkint8.kernels.spi.Int8Backend;
import io.sparkint8.kernels.spi.QuantDesc;

/**
 * Quantizes row-major fp32 matrices into {@link QTensor}s as its {@link QuantizerConfig} says,
 * through an {@link Int8Backend} (so every backend gives the same codes).
 *
 * <p>Clip values, when given, replace max|x| as the range s of each group: one value per scale,
 * i.e. {@link QuantizerConfig#groups} of them (1 per tensor, one per row, one per column, or one
 * per group). Per-column clips are what {@link McsClipping} produces for a channel-last gradient;
 * that tensor is quantized as its transpose (see {@link QuantGranularity#PER_COLUMN}).
 *
 * <p>Stochastic rounding draws are keyed by (seed, stream, element index of the stored layout), so
 * the caller picks e.g. seed = run seed and stream = hash(step, partition, tensor) and gets codes
 * that do not depend on threads or retries. Nearest rounding ignores both.
 *
 * <p>Immutable and thread-safe; the scratch it needs comes from the allocator of each call.
 */
public final class Quantizer {
  private final QuantizerConfig config;
  private final Int8Backend backend;

  public Quantizer(QuantizerConfig config, Int8Backend backend) {
    if (config == null || backend == null) {
      throw new IllegalArgumentException("Quantizer: config and backend must not be null");
    }
    this.config = config;
    this.backend = backend;
  }

  public QuantizerConfig config() {
    return config;
  }

  public Int8Backend backend() {
    return backend;
  }

  /** Quantizes src (rows x cols) with s = max|x| per group, seed and stream 0. */
  public QTensor quantize(OffHeapAllocator allocator, Float32Buffer src, int rows, int cols) {
    return quantize(allocator, src, rows, cols, null, 0L, 0L);
  }

  /**
   * Quantizes src (rows x cols) into a new QTensor owned by the caller.
   *
   * @param clip null for max|x|, else one finite value >= 0 per group
   * @param seed stochastic rounding seed (ignored with nearest rounding)
   * @param stream stochastic rounding stream, e.g. derived from step and tensor id
   */
  public QTensor quantize(
      OffHeapAllocator allocator,
      Float32Buffer src,
      int rows,
      int cols,
      float[] clip,
      long seed,
      long stream) {
    QTensor dst = QTensor.allocate(allocator, config, rows, cols);
    try {
      quantizeInto(allocator, src, clip, seed, stream, dst);
      return dst;
    } catch (RuntimeException e) {
      dst.close();
      throw e;
    }
  }

  /**
   * Quantizes src into an existing tensor of this configuration (reused across steps); its shape
   * gives rows and cols. The allocator supplies scratch only (the clip values, and the transpose of
   * a per-column tensor).
   */
  public void quantizeInto(
      OffHeapAllocator allocator,
      Float32Buffer src,
      float[] clip,
      long seed,
      long stream,
      QTensor dst) {
    if (!dst.config().equals(config)) {
      throw new IllegalArgumentException(
          "quantizeInto: the QTensor was made with "
              + dst.config()
              + ", this quantizer has "
              + config);
    }
    int rows = dst.rows();
    int cols = dst.cols();
    if (src.length() < rows * cols) {
      throw new IllegalArgumentException(
          "quantize "
              + rows
              + " x "
              + cols
              + ": src has "
              + src.length()
              + " elements, expected >= "
              + rows * cols);
    }
    int groups = config.groups(rows, cols);
    if (clip != null && clip.length != groups) {
      throw new IllegalArgumentException(
          "quantize "
              + rows
              + " x "
              + cols
              + " "
              + config.granularity().label()
              + ": "
              + clip.length
              + " clip values, expected "
              + groups
              + " (one per scale)");
    }
    QuantDesc desc = QTensor.kernelDesc(config, rows, cols, seed, stream);
    Float32Buffer clipBuf = clip == null ? null : allocator.float32Of(clip);
    Float32Buffer transposed = null;
    try {
      Float32Buffer in = src;
      if (dst.codesTransposed()) {
        transposed = allocator.allocateFloat32((long) rows * cols);
        Transpose.transpose(src, rows, cols, transposed);
        in = transposed;
      }
      backend.quantize(desc, in, clipBuf, dst.codes(), dst.scales());
    } finally {
      if (clipBuf != null) {
        clipBuf.close();
      }
      if (transposed != null) {
        transposed.close();
      }
    }
  }

  @Override
  public String toString() {
    return "Quantizer[" + config + ", backend " + backend.name() + "]";
  }
}
