package io.sparkint8.kernels.ref;

import io.sparkint8.kernels.memory.Float32Buffer;
import io.sparkint8.kernels.spi.BnAffine;

/**
 * The reference of batch normalization over rows x channels, row-major (NHWC activations with rows = n *
 * h * w). Each per-channel sum runs over rows in ascending order in double; the native kernels
 * vectorize across channels, which keeps that order and hence the bits. Arguments are valid (checked by
 * the caller).
 */
public final class NormalizationReference {
  private NormalizationReference() {}

  /** mean = sum(x) / rows, then m2 = sum((x - mean)^2) and absDev = sum(|x - mean|). */
  public static void bnStatistics(
      int rows, int c, Float32Buffer x, double[] mean, double[] m2, double[] absDev) {
    columnSums(rows, c, x, mean);
    for (int ch = 0; ch < c; ch++) {
      mean[ch] /= rows;
    }
    bnDeviations(rows, c, x, mean, m2, absDev);
  }

  /** sums[ch] = sum over rows ascending of x[r][ch], in double from +0 (bnStatistics' first pass). */
  public static void columnSums(int rows, int c, Float32Buffer x, double[] sums) {
    float[] xa = HostArrays.read(x, rows * c);
    for (int ch = 0; ch < c; ch++) {
      sums[ch] = 0;
    }
    for (int r = 0; r < rows; r++) {
      int base = r * c;
      for (int ch = 0; ch < c; ch++) {
        sums[ch] += xa[base + ch];
      }
    }
  }

  /** m2 = sum((x - mean)^2) and absDev = sum(|x - mean|) around the given means (the second pass). */
  public static void bnDeviations(
      int rows, int c, Float32Buffer x, double[] mean, double[] m2, double[] absDev) {
    float[] xa = HostArrays.read(x, rows * c);
    for (int ch = 0; ch < c; ch++) {
      m2[ch] = 0;
      absDev[ch] = 0;
    }
    for (int r = 0; r < rows; r++) {
      int base = r * c;
      for (int ch = 0; ch < c; ch++) {
        double dv = xa[base + ch] - mean[ch];
        m2[ch] += dv * dv;
        absDev[ch] += Math.abs(dv);
      }
    }
  }

  /**
   * y = gamma * xhat + beta with xhat = (x - mean) * invScale, in float; then with {@code relu} y =
   * y where y > 0, else +0.
   */
  public static void bnNormalize(
      int rows, int c, Float32Buffer x, BnAffine p, boolean relu, Float32Buffer y) {
    int count = rows * c;
    float[] out = bnNormalize(rows, c, HostArrays.read(x, count), p, relu);
    HostArrays.floats(y).put(0, out, 0, count);
  }

  /** The same on arrays, returning y. */
  static float[] bnNormalize(int rows, int c, float[] x, BnAffine p, boolean relu) {
    int count = rows * c;
    float[] h = normalized(rows, c, x, p);
    float[] out = new float[count];
    for (int r = 0; r < rows; r++) {
      int base = r * c;
      for (int ch = 0; ch < c; ch++) {
        float v = p.gamma()[ch] * h[base + ch] + p.beta()[ch];
        out[base + ch] = relu ? rectified(v) : v;
      }
    }
    return out;
  }

  /** xhat = (x - mean) * invScale in float, as the forward computes it. */
  static float[] normalized(int rows, int c, float[] x, BnAffine p) {
    float[] h = x.clone();
    for (int r = 0; r < rows; r++) {
      int base = r * c;
      for (int ch = 0; ch < c; ch++) {
        h[base + ch] = (h[base + ch] - p.mean()[ch]) * p.invScale()[ch];
      }
    }
    return h;
  }

  /**
   * The error as the BN layer sees it: g itself, or with {@code relu} g where the forward output
   * gamma * xhat + beta (recomputed in float) was > 0, else +0.
   */
  static float[] maskedError(
      int rows, int c, float[] gradOut, float[] h, BnAffine p, boolean relu) {
    float[] gy = gradOut.clone();
    if (relu) {
      for (int r = 0; r < rows; r++) {
        int base = r * c;
        for (int ch = 0; ch < c; ch++) {
          float out = p.gamma()[ch] * h[base + ch] + p.beta()[ch];
          int mask = ActivationReference.positive(Float.floatToRawIntBits(out));
          gy[base + ch] = Float.intBitsToFloat(Float.floatToRawIntBits(gy[base + ch]) & mask);
        }
      }
    }
    return gy;
  }

  private static float rectified(float v) {
    int bits = Float.floatToRawIntBits(v);
    return Float.intBitsToFloat(bits & ActivationReference.positive(bits));
  }

  /** sumG = sum(g) and sumGh = sum(g * xhat), g masked by the ReLU with {@code relu}. */
  public static void bnBackwardSums(
      int rows,
      int c,
      Float32Buffer gradOut,
      Float32Buffer x,
      BnAffine p,
      boolean relu,
      double[] sumG,
      double[] sumGh) {
    bnBackwardSums(rows, c, HostArrays.read(gradOut, rows * c), HostArrays.read(x, rows * c), p,
        relu, sumG, sumGh);
  }

  /** The same on arrays. */
  static void bnBackwardSums(int rows, int c, float[] gradOut, float[] x, BnAffine p,
      boolean relu, double[] sumG, double[] sumGh) {
    float[] h = normalized(rows, c, x, p);
    float[] gy = maskedError(rows, c, gradOut, h, p, relu);
    for (int ch = 0; ch < c; ch++) {
      sumG[ch] = 0;
      sumGh[ch] = 0;
    }
    for (int r = 0; r < rows; r++) {
      int base = r * c;
      for (int ch = 0; ch < c; ch++) {
        double gv = gy[base + ch];
        sumG[ch] += gv;
        sumGh[ch] += gv * h[base + ch];
      }
    }
  }

  /**
   * gradIn = (float) (k * ((double) g - a - (double) xhat * b)), g masked by the ReLU with {@code
   * relu}.
   */
  public static void bnBackwardInput(
      int rows,
      int c,
      Float32Buffer gradOut,
      Float32Buffer x,
      BnAffine p,
      boolean relu,
      double[] a,
      double[] b,
      double[] k,
      Float32Buffer gradIn) {
    int count = rows * c;
    float[] out = bnBackwardInput(rows, c, HostArrays.read(gradOut, count),
        HostArrays.read(x, count), p, relu, a, b, k);
    HostArrays.floats(gradIn).put(0, out, 0, count);
  }

  /** The same on arrays, returning the input gradient. */
  static float[] bnBackwardInput(int rows, int c, float[] gradOut, float[] x, BnAffine p,
      boolean relu, double[] a, double[] b, double[] k) {
    int count = rows * c;
    float[] h = normalized(rows, c, x, p);
    float[] gy = maskedError(rows, c, gradOut, h, p, relu);
    float[] out = new float[count];
    for (int r = 0; r < rows; r++) {
      int base = r * c;
      for (int ch = 0; ch < c; ch++) {
        int i = base + ch;
        double v = gy[i] - a[ch] - h[i] * b[ch];
        out[i] = (float) (k[ch] * v);
      }
    }
    return out;
  }
}
