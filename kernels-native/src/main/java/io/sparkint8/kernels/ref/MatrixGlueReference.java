package io.sparkint8.kernels.ref;

import io.sparkint8.kernels.memory.Float32Buffer;
import io.sparkint8.kernels.spi.AbstractBackend;
import io.sparkint8.kernels.spi.Int8Backend;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

/**
 * The reference of the fp32 matrix glue of {@link Int8Backend} (column sums, adding a row vector,
 * transposing) and its argument checks. Matrices are rows x cols, row-major.
 */
public final class MatrixGlueReference {
  private MatrixGlueReference() {}

  public static void checkVectorOp(String op, int rows, int cols, Float32Buffer m, float[] vector) {
    AbstractBackend.requireMatrix(rows, cols, op);
    AbstractBackend.require(m, (long) rows * cols, "m");
    if (vector == null || vector.length < cols) {
      throw new IllegalArgumentException(
          op + ": vector of " + (vector == null ? "null" : vector.length + " elements")
              + ", expected >= " + cols + " (one per column)");
    }
  }

  public static void checkTranspose(int rows, int cols, Float32Buffer src, Float32Buffer dst) {
    AbstractBackend.requireMatrix(rows, cols, "transposeF32");
    AbstractBackend.require(src, (long) rows * cols, "src");
    AbstractBackend.require(dst, (long) rows * cols, "dst");
    if (src == dst) {
      throw new IllegalArgumentException("transposeF32: src and dst are the same buffer");
    }
  }

  private static FloatBuffer floats(Float32Buffer b) {
    return b.bytes().duplicate().order(ByteOrder.nativeOrder()).asFloatBuffer();
  }

  public static void columnSums(int rows, int cols, Float32Buffer m, float[] out) {
    float[] a = new float[rows * cols];
    floats(m).get(0, a, 0, a.length);
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

  public static void addRowVector(int rows, int cols, Float32Buffer m, float[] v) {
    float[] a = new float[rows * cols];
    FloatBuffer f = floats(m);
    f.get(0, a, 0, a.length);
    for (int r = 0; r < rows; r++) {
      int base = r * cols;
      for (int j = 0; j < cols; j++) {
        a[base + j] += v[j];
      }
    }
    f.put(0, a, 0, a.length);
  }

  public static void transpose(int rows, int cols, Float32Buffer src, Float32Buffer dst) {
    float[] s = new float[rows * cols];
    float[] d = new float[rows * cols];
    floats(src).get(0, s, 0, s.length);
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < cols; c++) {
        d[c * rows + r] = s[r * cols + c];
      }
    }
    floats(dst).put(0, d, 0, d.length);
  }
}
