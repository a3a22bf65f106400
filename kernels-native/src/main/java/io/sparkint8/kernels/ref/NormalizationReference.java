package io.sparkint8.kernels.ref;

import io.sparkint8.kernels.memory.Float32Buffer;
import io.sparkint8.kernels.spi.AbstractBackend;
import io.sparkint8.kernels.spi.Int8Backend;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;

/**
 * The reference of the batch-norm and fp32 ReLU operations of {@link Int8Backend}, and their argument
 * checks. Matrices are rows x channels, row-major (NHWC activations with rows = n * h * w). Each
 * per-channel sum runs over rows in ascending order in double; the native kernels vectorize across
 * channels, which keeps that order and hence the bits.
 */
public final class NormalizationReference {
  private NormalizationReference() {}

  // ---- checks -----------------------------------------------------------------------------------

  private static void checkShape(String op, int rows, int channels) {
    if (rows < 1 || channels < 1 || (long) rows * channels > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(
          op + ": rows=" + rows + " channels=" + channels
              + ", expected >= 1 and at most 2^31-1 elements");
    }
  }

  private static void checkVector(String op, Object array, int length, int channels, String what) {
    if (array == null) {
      throw new IllegalArgumentException(op + ": array '" + what + "' is null");
    }
    if (length < channels) {
      throw new IllegalArgumentException(
          op + ": array '" + what + "' has " + length + " elements, expected >= " + channels
              + " (one per channel)");
    }
  }

  private static void checkVectors(String op, int channels, double[][] arrays, String... names) {
    for (int i = 0; i < arrays.length; i++) {
      checkVector(op, arrays[i], arrays[i] == null ? 0 : arrays[i].length, channels, names[i]);
    }
  }

  private static void checkVectors(String op, int channels, float[][] arrays, String... names) {
    for (int i = 0; i < arrays.length; i++) {
      checkVector(op, arrays[i], arrays[i] == null ? 0 : arrays[i].length, channels, names[i]);
    }
  }

  public static void checkStatistics(
      int rows, int channels, Float32Buffer x, double[] mean, double[] m2, double[] absDev) {
    checkShape("bnStatistics", rows, channels);
    AbstractBackend.require(x, (long) rows * channels, "x");
    checkVectors("bnStatistics", channels, new double[][] {mean, m2, absDev}, "mean", "m2", "absDev");
  }

  public static void checkNormalize(
      int rows,
      int channels,
      Float32Buffer x,
      float[] mean,
      float[] invScale,
      float[] gamma,
      float[] beta,
      Float32Buffer xhat,
      Float32Buffer y) {
    checkShape("bnNormalize", rows, channels);
    long count = (long) rows * channels;
    AbstractBackend.require(x, count, "x");
    AbstractBackend.requireOptional(xhat, count, "xhat");
    AbstractBackend.require(y, count, "y");
    checkVectors(
        "bnNormalize", channels, new float[][] {mean, invScale, gamma, beta},
        "mean", "invScale", "gamma", "beta");
  }

  public static void checkSums(
      int rows, int channels, Float32Buffer gradOut, Float32Buffer xhat, double[] sumG,
      double[] sumGh) {
    checkShape("bnBackwardSums", rows, channels);
    long count = (long) rows * channels;
    AbstractBackend.require(gradOut, count, "gradOut");
    AbstractBackend.require(xhat, count, "xhat");
    checkVectors("bnBackwardSums", channels, new double[][] {sumG, sumGh}, "sumG", "sumGh");
  }

  public static void checkInput(
      int rows,
      int channels,
      Float32Buffer gradOut,
      Float32Buffer xhat,
      double[] a,
      double[] b,
      double[] k,
      Float32Buffer gradIn) {
    checkShape("bnBackwardInput", rows, channels);
    long count = (long) rows * channels;
    AbstractBackend.require(gradOut, count, "gradOut");
    AbstractBackend.require(xhat, count, "xhat");
    AbstractBackend.require(gradIn, count, "gradIn");
    checkVectors("bnBackwardInput", channels, new double[][] {a, b, k}, "a", "b", "k");
  }

  // ---- reference --------------------------------------------------------------------------------

  private static float[] read(Float32Buffer b, int count) {
    float[] a = new float[count];
    floats(b).get(0, a, 0, count);
    return a;
  }

  private static FloatBuffer floats(Float32Buffer b) {
    return b.bytes().duplicate().order(ByteOrder.nativeOrder()).asFloatBuffer();
  }

  private static IntBuffer ints(Float32Buffer b) {
    return b.bytes().duplicate().order(ByteOrder.nativeOrder()).asIntBuffer();
  }

  public static void statistics(
      int rows, int c, Float32Buffer x, double[] mean, double[] m2, double[] absDev) {
    float[] xa = read(x, rows * c);
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

  public static void normalize(
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
    float[] xa = read(x, count);
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
      floats(xhat).put(0, h, 0, count);
    }
    floats(y).put(0, out, 0, count);
  }

  public static void backwardSums(
      int rows, int c, Float32Buffer gradOut, Float32Buffer xhat, double[] sumG, double[] sumGh) {
    int count = rows * c;
    float[] gy = read(gradOut, count);
    float[] h = read(xhat, count);
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

  public static void backwardInput(
      int rows,
      int c,
      Float32Buffer gradOut,
      Float32Buffer xhat,
      double[] a,
      double[] b,
      double[] k,
      Float32Buffer gradIn) {
    int count = rows * c;
    float[] gy = read(gradOut, count);
    float[] h = read(xhat, count);
    float[] out = new float[count];
    for (int r = 0; r < rows; r++) {
      int base = r * c;
      for (int ch = 0; ch < c; ch++) {
        int i = base + ch;
        double v = gy[i] - a[ch] - h[i] * b[ch];
        out[i] = (float) (k[ch] * v);
      }
    }
    floats(gradIn).put(0, out, 0, count);
  }

  /** -1 when the float with these bits is > 0 (positive, finite or +inf), else 0. */
  private static int positive(int bits) {
    return ((bits - 0x7f800001) & -bits) >> 31;
  }

  public static void reluF32(int count, Float32Buffer src, Float32Buffer dst) {
    int[] v = new int[count];
    ints(src).get(0, v, 0, count);
    for (int i = 0; i < count; i++) {
      v[i] &= positive(v[i]);
    }
    ints(dst).put(0, v, 0, count);
  }

  public static void reluBackwardF32(int count, Float32Buffer grad, Float32Buffer y, Float32Buffer dst) {
    int[] g = new int[count];
    int[] yv = new int[count];
    ints(grad).get(0, g, 0, count);
    ints(y).get(0, yv, 0, count);
    for (int i = 0; i < count; i++) {
      g[i] &= positive(yv[i]);
    }
    ints(dst).put(0, g, 0, count);
  }
}
