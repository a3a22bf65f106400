package io.sparkint8.kernels.ref;

import io.sparkint8.kernels.memory.Float32Buffer;
import io.sparkint8.kernels.memory.Int8Buffer;
import io.sparkint8.kernels.spi.Checks;
import io.sparkint8.kernels.spi.QuantDesc;
import io.sparkint8.kernels.spi.Rounding;

/**
 * The reference of quantization: codes of 2..8 bits with one scale per group, rounding to nearest
 * ({@link Math#rint}) or stochastically with the counter-based draws of {@link StochasticRounding};
 * values are multiplied by the inverse scale. Arguments are valid (checked by the caller); the data are
 * checked here (a non-finite group or clip value throws).
 */
public final class QuantizeReference {
  private QuantizeReference() {}

  /** Element e = r * cols + c of the matrix being quantized. */
  interface Elements {
    float get(int e);
  }

  public static void quantize(
      QuantDesc d, Float32Buffer src, Float32Buffer clip, Int8Buffer codes, Float32Buffer scales) {
    quantize(d, src::get, clip, codes, scales);
  }

  /**
   * {@link #quantize} of the rows x cols matrix whose transpose srcT (cols x rows) is given: element
   * (r, c) is srcT[c * rows + r]; codes, scales and stochastic draws are those of the matrix itself.
   */
  public static void quantizeTransposed(
      QuantDesc d, Float32Buffer srcT, Float32Buffer clip, Int8Buffer codes, Float32Buffer scales) {
    int rows = d.rows();
    int cols = d.cols();
    quantize(d, e -> srcT.get((e % cols) * rows + e / cols), clip, codes, scales);
  }

  /**
   * {@link #quantizeTransposed}, then codesT (cols x rows) = codes transposed: the same codes in
   * srcT's layout.
   */
  public static void quantizeTransposedBoth(QuantDesc d, Float32Buffer srcT, Float32Buffer clip,
      Int8Buffer codes, Int8Buffer codesT, Float32Buffer scales) {
    quantizeTransposed(d, srcT, clip, codes, scales);
    int rows = d.rows();
    int cols = d.cols();
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < cols; c++) {
        codesT.set(c * rows + r, codes.get(r * cols + c));
      }
    }
  }

  private static void quantize(
      QuantDesc d, Elements src, Float32Buffer clip, Int8Buffer codes, Float32Buffer scales) {
    float[] s = groupAbsmax(d, src);
    float qmax = d.qmax();
    for (int g = 0; g < s.length; g++) {
      Checks.finiteGroup(g, s[g]);
      if (clip != null) {
        float c = clip.get(g);
        Checks.clipValue(g, c);
        s[g] = c;
      }
      if (d.pow2() && s[g] > 0f) {
        s[g] = roundUpToPowerOfTwo(s[g]);
      }
      scales.set(g, s[g] / qmax);
    }
    codes(d, src, s, codes);
  }

  /** The codes of every element, from the final clip value s[g] of each group (0: codes 0). */
  static void codes(QuantDesc d, Elements src, float[] s, Int8Buffer codes) {
    float qmax = d.qmax();
    long key = StochasticRounding.key(d.seed(), d.stream());
    int qm = d.qmax();
    for (int r = 0; r < d.rows(); r++) {
      for (int col = 0; col < d.cols(); col++) {
        int e = r * d.cols() + col;
        float sg = s[d.groupOf(r, col)];
        int q = 0;
        if (sg != 0f) {
          float inv = qmax / sg;
          float x = src.get(e);
          float y = (x > sg ? sg : (x < -sg ? -sg : x)) * inv;
          if (d.rounding() == Rounding.NEAREST) {
            q = (int) Math.rint(y);
          } else {
            float t = y + StochasticRounding.uniform(key, e);
            q = (int) Math.floor(t);
          }
          q = Math.min(Math.max(q, -qm), qm);
        }
        codes.set(e, (byte) q);
      }
    }
  }

  static float[] groupAbsmax(QuantDesc d, Elements src) {
    float[] amax = new float[d.groups()];
    for (int r = 0; r < d.rows(); r++) {
      for (int col = 0; col < d.cols(); col++) {
        int g = d.groupOf(r, col);
        amax[g] = Math.max(amax[g], Math.abs(src.get(r * d.cols() + col)));
      }
    }
    return amax;
  }

  /** The smallest power of two >= s (s > 0), exactly. */
  static float roundUpToPowerOfTwo(float s) {
    if (Math.getExponent(s) < Float.MIN_EXPONENT) { // subnormal
      float p = Float.MIN_VALUE;
      while (p < s) {
        p *= 2f;
      }
      return p;
    }
    float p = Math.scalb(1f, Math.getExponent(s));
    return p == s ? s : p * 2f;
  }

  /** dst = code * scale of its group. */
  public static void dequantize(
      QuantDesc d, Int8Buffer codes, Float32Buffer scales, Float32Buffer dst) {
    for (int r = 0; r < d.rows(); r++) {
      for (int col = 0; col < d.cols(); col++) {
        int e = r * d.cols() + col;
        dst.set(e, (float) codes.get(e) * scales.get(d.groupOf(r, col)));
      }
    }
  }
}
