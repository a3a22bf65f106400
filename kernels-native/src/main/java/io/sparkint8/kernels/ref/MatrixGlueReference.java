package io.sparkint8.kernels.ref;

import io.sparkint8.kernels.memory.Float32Buffer;
import java.nio.FloatBuffer;

/**
 * The reference of the fp32 matrix glue around the GEMMs (column sums, adding a row vector,
 * transposing). Matrices are rows x cols, row-major. Arguments are valid (checked by the caller).
 */
public final class MatrixGlueReference {
  private MatrixGlueReference() {}

  /** out[j] = sum over rows, in order and in float from +0, of m[r][j]. */
  public static void columnSumsF32(int rows, int cols, Float32Buffer m, float[] out) {
    float[] a = HostArrays.read(m, rows * cols);
    for (int j = 0; j < cols; j++) {
      out[j] = 0f;
    }
    for (int r = 0; r < rows; r++) {
      int base = r * cols;
      for (int j = 0; j < cols; j++) {
        out[j] += a[base + j];
      }
    }
  }

  /** m[r][j] += v[j] in float. */
  public static void addRowVectorF32(int rows, int cols, Float32Buffer m, float[] v) {
    float[] a = new float[rows * cols];
    FloatBuffer f = HostArrays.floats(m);
    f.get(0, a, 0, a.length);
    for (int r = 0; r < rows; r++) {
      int base = r * cols;
      for (int j = 0; j < cols; j++) {
        a[base + j] += v[j];
      }
    }
    f.put(0, a, 0, a.length);
  }

  /** dst (cols x rows) = src transposed. */
  public static void transposeF32(int rows, int cols, Float32Buffer src, Float32Buffer dst) {
    float[] s = HostArrays.read(src, rows * cols);
    float[] d = new float[rows * cols];
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < cols; c++) {
        d[c * rows + r] = s[r * cols + c];
      }
    }
    HostArrays.floats(dst).put(0, d, 0, d.length);
  }
}
