package io.sparkint8.kernels.spi;

/**
 * The limits of ShiftQuant (ALGORITHMS.md §5): group quantization whose group scales are powers of two,
 * so that groups with different scales share one int8 GEMM and are aligned by shifting their exact
 * int32 partial sums ({@link Int8Backend#shiftQuantize}, {@link Int8Backend#gemmShiftS8S8F32}).
 *
 * <p>Why the limits: a GEMM row sums the partials of its groups shifted left by (exponent - the row's
 * smallest exponent) in int64. With every exponent of a row within {@link #SPAN} of the row's largest,
 * a shift is at most 24 bits; a partial over a group of at most {@link #MAX_GROUP} products of int8
 * codes is below 2^30, and with k at most {@link #MAX_K} the int64 sum stays below 2^62: exact. The
 * quantizer raises the exponent of a group that lies further below its row's largest to that floor (its
 * values then round, stochastically, to the few smallest codes: they are below float's precision of the
 * row's sum anyway), and keeps exponents in [{@link #MIN_EXPONENT}, {@link #MAX_EXPONENT}] so that
 * qmax / 2^e is a finite float.
 */
public final class ShiftQuant {
  private ShiftQuant() {}

  /** Largest exponent difference within one row of a shift GEMM's A. */
  public static final int SPAN = 24;

  /** Smallest group exponent the quantizer emits (scales below 2^-120 are raised to it). */
  public static final int MIN_EXPONENT = -120;

  /** Largest group exponent (groups beyond 2^127 are clipped to it). */
  public static final int MAX_EXPONENT = 127;

  /** Largest group size. */
  public static final int MAX_GROUP = 65536;

  /** Largest reduction length of a shift GEMM. */
  public static final int MAX_K = 1 << 24;

  /** Groups per row of a row of {@code cols} elements in groups of {@code group}. */
  public static int groupsPerRow(int cols, int group) {
    return (cols + group - 1) / group;
  }

  /** The exponent e of the smallest power of two 2^e >= m (m > 0, finite), within the limits. */
  public static int ceilExponent(float m) {
    if (m < 0x1p-120f) {
      return MIN_EXPONENT;
    }
    int e = Math.getExponent(m);
    if (m != Math.scalb(1f, e)) {
      e++;
    }
    return Math.min(e, MAX_EXPONENT);
  }
}
