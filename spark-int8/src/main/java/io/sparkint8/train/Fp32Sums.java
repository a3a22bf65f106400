package io.sparkint8.train;

import java.io.Serializable;
import java.util.Arrays;

/**
 * Gradients aggregated without a shared scale (the fp32 aggregation baseline, and the first step of
 * int8 aggregation, before any scale exists), summed up the tree exactly so that the bytes at the
 * driver do not grow with the partitions and the bits do not depend on the merge order.
 *
 * <p>A leaf holds its partition's gradients as floats (4 bytes per element), decoded as they are
 * when it is the only partition. At its first merge each tensor becomes int64 codes times a power
 * of two 2^e (8 bytes per element, whatever the number of partitions): the leaf picks e = exponent
 * of its max|g| minus {@value #CODE_BITS}, so its codes hold at least {@value #CODE_BITS} bits
 * below its largest element (a float holds 24) and stay below 2^32 in magnitude; each element is
 * rounded once, half to even, and an all-zero tensor takes any exponent. Merging aligns two tensors
 * to the smaller exponent by shifting the other's codes left, which is exact, and adds them as
 * longs; both steps throw rather than wrap when a sum would leave ±2^63. That bounds the spread of
 * the partitions' maxima of one tensor: up to 2^(31 - log2(partitions)), e.g. 2^25 ≈ 3·10^7 for 64
 * partitions, far beyond the spread of one step's gradients across partitions of one data set.
 *
 * <p>Immutable.
 */
final class Fp32Sums implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Bits of a leaf's codes below the exponent of its tensor's max|g|. */
  static final int CODE_BITS = 30;

  /** The exponent of a tensor whose codes are all zero: it adopts the other's at a merge. */
  static final int ZERO = Integer.MAX_VALUE;

  // a leaf: the partition's gradients
  private final float[][] leaf;
  // merged: per tensor, the exponent and the codes
  private final int[] exponent;
  private final long[][] codes;

  private Fp32Sums(float[][] leaf, int[] exponent, long[][] codes) {
    this.leaf = leaf;
    this.exponent = exponent;
    this.codes = codes;
  }

  /** One partition's gradients (owned by this object from now on). */
  static Fp32Sums leaf(float[][] gradients) {
    return new Fp32Sums(gradients, null, null);
  }

  /** Merged sums read back by the serializer. */
  static Fp32Sums merged(int[] exponent, long[][] codes) {
    return new Fp32Sums(null, exponent, codes);
  }

  boolean isLeaf() {
    return leaf != null;
  }

  int tensors() {
    return isLeaf() ? leaf.length : codes.length;
  }

  int length(int tensor) {
    return isLeaf() ? leaf[tensor].length : codes[tensor].length;
  }

  // Raw access for the serializer.
  float[] leafTensor(int tensor) {
    return leaf[tensor];
  }

  int exponent(int tensor) {
    return exponent[tensor];
  }

  long[] codes(int tensor) {
    return codes[tensor];
  }

  /** The exact sum of both. */
  Fp32Sums plus(Fp32Sums o) {
    Fp32Sums a = merged();
    Fp32Sums b = o.merged();
    int[] e = new int[a.codes.length];
    long[][] c = new long[a.codes.length][];
    for (int t = 0; t < e.length; t++) {
      e[t] = Math.min(a.exponent[t], b.exponent[t]);
      long[] x = a.codes[t];
      long[] y = b.codes[t];
      long[] sum = new long[x.length];
      for (int i = 0; i < sum.length; i++) {
        try {
          sum[i] = Math.addExact(align(x[i], a.exponent[t], e[t]), align(y[i], b.exponent[t],
              e[t]));
        } catch (ArithmeticException ex) {
          throw new IllegalStateException("fp32 aggregation: tensor " + t + " element " + i
              + " left the range of the exact sums (codes below 2^63 at 2^" + e[t] + "): the "
              + "partitions' max|g| of this tensor differ by more than the format holds (see "
              + "Fp32Sums); aggregationPrecision int8 has no such bound", ex);
        }
      }
      c[t] = sum;
    }
    return new Fp32Sums(null, e, c);
  }

  private static long align(long code, int from, int to) {
    if (code == 0 || from == to) {
      return code;
    }
    int shift = from - to;
    if (shift >= 63 || Math.abs(code) > (Long.MAX_VALUE >> shift)) {
      throw new ArithmeticException("shift of " + code + " by " + shift);
    }
    return code << shift;
  }

  /** This as codes (a leaf is converted; merged sums are returned as they are). */
  private Fp32Sums merged() {
    if (!isLeaf()) {
      return this;
    }
    int[] e = new int[leaf.length];
    long[][] c = new long[leaf.length][];
    for (int t = 0; t < leaf.length; t++) {
      float[] g = leaf[t];
      float max = 0f;
      for (float v : g) {
        max = Math.max(max, Math.abs(v));
      }
      c[t] = new long[g.length];
      if (max == 0f) {
        e[t] = ZERO;
        continue;
      }
      e[t] = Math.getExponent(max) - CODE_BITS;
      for (int i = 0; i < g.length; i++) {
        // exact scaling of a float held in a double, then one rounding to an integer
        c[t][i] = (long) Math.rint(Math.scalb((double) g[i], -e[t]));
      }
    }
    return new Fp32Sums(null, e, c);
  }

  /** Σ_p g_p / rows per element, in double, rounded once to float. */
  float[][] decode(long rows) {
    float[][] out = new float[tensors()][];
    for (int t = 0; t < out.length; t++) {
      float[] g = new float[length(t)];
      if (isLeaf()) {
        float[] s = leaf[t];
        for (int i = 0; i < g.length; i++) {
          g[i] = (float) (s[i] / (double) rows);
        }
      } else if (exponent[t] != ZERO) {
        long[] s = codes[t];
        for (int i = 0; i < g.length; i++) {
          g[i] = (float) (Math.scalb((double) s[i], exponent[t]) / rows);
        }
      }
      out[t] = g;
    }
    return out;
  }

  /** Bytes of the gradients: 4 per element for a leaf, 8 merged. */
  long payloadBytes() {
    long n = 0;
    for (int t = 0; t < tensors(); t++) {
      n += (isLeaf() ? 4L : 8L) * length(t);
    }
    return n;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Fp32Sums f && Arrays.deepEquals(leaf, f.leaf)
        && Arrays.equals(exponent, f.exponent) && Arrays.deepEquals(codes, f.codes);
  }

  @Override
  public int hashCode() {
    return isLeaf() ? Arrays.deepHashCode(leaf) : Arrays.deepHashCode(codes);
  }
}
