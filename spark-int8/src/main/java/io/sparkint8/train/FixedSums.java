package io.sparkint8.train;

import java.io.Serializable;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.util.Arrays;

/**
 * A vector of real sums kept exactly, so that adding contributions in any order gives the same
 * bits (Spark's treeAggregate merges in task completion order). Each value is a 128-bit
 * two's-complement fixed-point number with {@value #FRACTION_BITS} fractional bits: value = (hi ·
 * 2^64 + unsigned lo) · 2^-64, stored as a pair of longs. Addition is integer addition with a
 * carry, hence associative and commutative bit for bit.
 *
 * <p>Range and resolution: a sum must stay below 2^63 ≈ 9.2e18 in magnitude (an overflow throws
 * rather than wraps); the resolution is 2^-64 ≈ 5.4e-20. A double addend enters once, at a leaf,
 * rounded to the nearest multiple of 2^-64 (half to even), so its rounding depends only on the
 * addend itself, never on the merge order; addends must be finite and below {@link #MAX_ADDEND}
 * = 2^62 in magnitude. The statistics carried this way (loss sums, BN sums of x, x² and |x - mean|
 * per channel, DSGC's cosine sums) are far inside that range for any batch a task holds: 2^62 is
 * Σx² of 10^6 rows of |x| = 2·10^6.
 *
 * <p>Immutable.
 */
final class FixedSums implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Bits below the binary point. */
  static final int FRACTION_BITS = 64;

  /** The largest magnitude an addend may have (exclusive): 2^62. */
  static final double MAX_ADDEND = 0x1p62;

  private static final BigDecimal ONE_FIXED = new BigDecimal(BigInteger.ONE.shiftLeft(64));
  private static final BigInteger LOW_MASK = BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);

  // hi, lo of value i at [2i], [2i + 1]
  private final long[] words;

  private FixedSums(long[] words) {
    this.words = words;
  }

  /** The fixed-point images of {@code values}; {@code what} names them in an error. */
  static FixedSums of(String what, double... values) {
    long[] w = new long[2 * values.length];
    for (int i = 0; i < values.length; i++) {
      double v = values[i];
      if (!Double.isFinite(v) || Math.abs(v) >= MAX_ADDEND) {
        throw new IllegalArgumentException("FixedSums: " + what + " value " + i + " = " + v
            + ", expected finite and of magnitude below 2^62 (the range of the exact sums)");
      }
      BigInteger raw = new BigDecimal(v).multiply(ONE_FIXED).setScale(0, RoundingMode.HALF_EVEN)
          .toBigIntegerExact();
      w[2 * i] = raw.shiftRight(64).longValueExact();
      w[2 * i + 1] = raw.longValue();
    }
    return new FixedSums(w);
  }

  /** Sums read back from their words (hi, lo per value), as {@link #words()} gives them. */
  static FixedSums ofWords(long[] words) {
    if (words.length % 2 != 0) {
      throw new IllegalArgumentException("FixedSums: " + words.length + " words, expected an "
          + "even count (hi, lo per value)");
    }
    return new FixedSums(words.clone());
  }

  /** n zeros. */
  static FixedSums zeros(int n) {
    return new FixedSums(new long[2 * n]);
  }

  int length() {
    return words.length / 2;
  }

  /** The exact sum of both, value by value; throws when a sum leaves ±2^63. */
  FixedSums plus(FixedSums o) {
    if (o.words.length != words.length) {
      throw new IllegalArgumentException("FixedSums: " + length() + " vs " + o.length()
          + " values");
    }
    long[] w = new long[words.length];
    for (int i = 0; i < words.length; i += 2) {
      long lo = words[i + 1] + o.words[i + 1];
      long carry = Long.compareUnsigned(lo, words[i + 1]) < 0 ? 1 : 0;
      try {
        w[i] = Math.addExact(Math.addExact(words[i], o.words[i]), carry);
      } catch (ArithmeticException e) {
        throw new IllegalStateException("FixedSums: value " + i / 2 + " left the range of the "
            + "exact sums (|sum| < 2^63): " + get(i / 2) + " + " + o.get(i / 2), e);
      }
      w[i + 1] = lo;
    }
    return new FixedSums(w);
  }

  /** Value i times 2^64, exactly. */
  BigInteger raw(int i) {
    return BigInteger.valueOf(words[2 * i]).shiftLeft(64)
        .add(BigInteger.valueOf(words[2 * i + 1]).and(LOW_MASK));
  }

  /** Value i rounded once to the nearest double. */
  double get(int i) {
    // BigInteger.doubleValue rounds to nearest; scaling by 2^-64 is exact (the result is either 0
    // or at least 2^-64, far above the subnormals)
    return Math.scalb(raw(i).doubleValue(), -FRACTION_BITS);
  }

  /** The words (hi, lo per value), for the serializer. */
  long[] words() {
    return words.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof FixedSums f && Arrays.equals(words, f.words);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(words);
  }
}
