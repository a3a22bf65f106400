package io.sparkint8.quant;

import io.sparkint8.kernels.memory.Float32Buffer;
import java.nio.FloatBuffer;

/**
 * Out-of-place transpose of a row-major fp32 matrix, for quantizing per column through per-row
 * kernels.
 */
final class Transpose {
  // tiles keep both the read and the write side within a few cache lines
  private static final int TILE = 32;

  private Transpose() {}

  /** dst[c * rows + r] = src[r * cols + c]; dst must not overlap src. */
  static void transpose(Float32Buffer src, int rows, int cols, Float32Buffer dst) {
    long n = (long) rows * cols;
    if (src.length() < n || dst.length() < n) {
      throw new IllegalArgumentException(
          "transpose "
              + rows
              + " x "
              + cols
              + ": src has "
              + src.length()
              + " and dst "
              + dst.length()
              + " elements, expected >= "
              + n);
    }
    FloatBuffer s = src.bytes().asFloatBuffer();
    FloatBuffer d = dst.bytes().asFloatBuffer();
    for (int r0 = 0; r0 < rows; r0 += TILE) {
      int r1 = Math.min(rows, r0 + TILE);
      for (int c0 = 0; c0 < cols; c0 += TILE) {
        int c1 = Math.min(cols, c0 + TILE);
        for (int r = r0; r < r1; r++) {
          int base = r * cols;
          for (int c = c0; c < c1; c++) {
            d.put(c * rows + r, s.get(base + c));
          }
        }
      }
    }
  }
}
