package io.sparkint8.kernels.spi;

/**
 * Quantization of a dense rows x cols fp32 matrix to codes of {@code bits} bits (2..8, one per byte),
 * symmetric in [-qmax, qmax] with qmax = 2^(bits-1) - 1, with one scale per group (see {@link
 * Granularity}; PER_GROUP groups are {@code group} consecutive columns of one row, numbered row-major).
 *
 * <p>Per group: s = the clip value if given, else max|x|; with {@code pow2} s is rounded up to a power of
 * two (ShiftQuant-style group scales); the returned scale is s / qmax (multiply a code by it to
 * dequantize). Codes are round(clamp(x, s) * (qmax / s)) with the chosen rounding; stochastic draws are
 * keyed by (seed, stream, row * cols + col).
 */
public record QuantDesc(
    int rows,
    int cols,
    int bits,
    Granularity granularity,
    int group,
    Rounding rounding,
    boolean pow2,
    long seed,
    long stream) {

  public QuantDesc {
    if (rows < 1 || cols < 1 || (long) rows * cols > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(
          "quantize: rows=" + rows + " cols=" + cols + ", expected >= 1 and at most 2^31-1 elements");
    }
    if (bits < 2 || bits > 8) {
      throw new IllegalArgumentException("quantize: bits=" + bits + ", expected 2..8");
    }
    if (granularity == null || rounding == null) {
      throw new IllegalArgumentException("quantize: granularity and rounding must not be null");
    }
    if (granularity == Granularity.PER_GROUP && group < 1) {
      throw new IllegalArgumentException("quantize: group=" + group + ", expected >= 1");
    }
  }

  /** Per-tensor, round to nearest, 8 bits. */
  public static QuantDesc perTensor(int rows, int cols) {
    return new QuantDesc(rows, cols, 8, Granularity.PER_TENSOR, 0, Rounding.NEAREST, false, 0, 0);
  }

  /** Per-row, round to nearest, 8 bits. */
  public static QuantDesc perRow(int rows, int cols) {
    return new QuantDesc(rows, cols, 8, Granularity.PER_ROW, 0, Rounding.NEAREST, false, 0, 0);
  }

  public QuantDesc withBits(int newBits) {
    return new QuantDesc(rows, cols, newBits, granularity, group, rounding, pow2, seed, stream);
  }

  public QuantDesc withGroups(int newGroup, boolean newPow2) {
    return new QuantDesc(
        rows, cols, bits, Granularity.PER_GROUP, newGroup, rounding, newPow2, seed, stream);
  }

  public QuantDesc stochastic(long newSeed, long newStream) {
    return new QuantDesc(
        rows, cols, bits, granularity, group, Rounding.STOCHASTIC, pow2, newSeed, newStream);
  }

  public int qmax() {
    return (1 << (bits - 1)) - 1;
  }

  public int count() {
    return rows * cols;
  }

  public int groupsPerRow() {
    return granularity == Granularity.PER_GROUP ? (cols + group - 1) / group : 1;
  }

  /** Number of scales. */
  public int groups() {
    switch (granularity) {
      case PER_TENSOR:
        return 1;
      case PER_ROW:
        return rows;
      default:
        return rows * groupsPerRow();
    }
  }

  /** The group of element (r, c). */
  public int groupOf(int r, int c) {
    switch (granularity) {
      case PER_TENSOR:
        return 0;
      case PER_ROW:
        return r;
      default:
        return r * groupsPerRow() + c / group;
    }
  }
}
