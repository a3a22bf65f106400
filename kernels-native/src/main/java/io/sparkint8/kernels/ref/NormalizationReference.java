package io.sparkint8.kernels.ref;

import io.sparkint8.kernels.memory.Float32Buffer;

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
    float[] xa = HostArrays.read(x, rows * c);
    for (int ch = 0; ch < c; ch++) {
      mean[ch] = 0;
      m2[ch] = 0;
      absDev[ch] = 0;
    }
    for (int r = 0; r < rows; r++) {
      int base = r * c;
      for (int ch = 0; ch < c; ch++) {
        mean[ch] += xa[base + ch];
      }
    }
    for (int ch = 0; ch < c; ch++) {
      mean[ch] /= rows;
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

  /** xhat = (x - mean) * invScale and y = gamma * xhat + beta in float; xhat may be null. */
  public static void bnNormalize(
      int rows,
      int c,
      Float32Buffer x,
      float[] mu,
      float[] inv,
      float[] g,
      float[] b,
      Float32Buffer xhat,
      Float32Buffer y) {
    int count = rows * c;
    float[] xa = HostArrays.read(x, count);
    float[] h = new float[count];
    float[] out = new float[count];
    for (int r = 0; r < rows; r++) {
      int base = r * c;
      for (int ch = 0; ch < c; ch++) {
        float v = (xa[base + ch] - mu[ch]) * inv[ch];
        h[base + ch] = v;
        out[base + ch] = g[ch] * v + b[ch];
      }
    }
    if (xhat != null) {
      HostArrays.floats(xhat).put(0, h, 0, count);
    }
    HostArrays.floats(y).put(0, out, 0, count);
  }

  /** sumG = sum(g) and sumGh = sum(g * xhat). */
  public static void bnBackwardSums(
      int rows, int c, Float32Buffer gradOut, Float32Buffer xhat, double[] sumG, double[] sumGh) {
    int count = rows * c;
    float[] gy = HostArrays.read(gradOut, count);
    float[] h = HostArrays.read(xhat, count);
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

  /** gradIn = (float) (k * ((double) g - a - (double) xhat * b)). */
  public static void bnBackwardInput(
      int rows,
      int c,
      Float32Buffer gradOut,
      Float32Buffer xhat,
      double[] a,
      double[] b,
      double[] k,
      Float32Buffer gradIn) {
    int count = rows * c;
    float[] gy = HostArrays.read(gradOut, count);
    float[] h = HostArrays.read(xhat, count);
    float[] out = new float[count];
    for (int r = 0; r < rows; r++) {
      int base = r * c;
      for (int ch = 0; ch < c; ch++) {
        int i = base + ch;
        double v = gy[i] - a[ch] - h[i] * b[ch];
        out[i] = (float) (k[ch] * v);
      }
    }
    HostArrays.floats(gradIn).put(0, out, 0, count);
  }
}
