package io.sparkint8.nn;

import io.sparkint8.kernels.memory.Float32Buffer;

/**
 * Helpers for the fp32 element-wise code of the layers: an off-heap buffer is copied into a reused heap
 * array in one bulk copy, the loops run over plain arrays (which the JIT compiles to vector code, without
 * the per-element index and scope checks of a FloatBuffer), and the result is copied back in one bulk
 * copy. Single-threaded; every reduction keeps a fixed order, so results do not depend on threads.
 */
final class HeapScratch {
  private static final int CHUNK = 4096;
  private static final ThreadLocal<float[]> CHUNKS = ThreadLocal.withInitial(() -> new float[CHUNK]);

  private HeapScratch() {}

  /** {@code a} if it holds at least {@code count} elements, else a new array of that size. */
  static float[] ensure(float[] a, int count) {
    return a != null && a.length >= count ? a : new float[count];
  }

  /** Copies elements [0, count) of {@code src} into {@code dst} (grown if needed); returns it. */
  static float[] read(Float32Buffer src, float[] dst, int count) {
    float[] a = ensure(dst, count);
    src.bytes().asFloatBuffer().get(0, a, 0, count);
    return a;
  }

  /** Copies a[0, count) into elements [0, count) of {@code dst}. */
  static void write(float[] a, Float32Buffer dst, int count) {
    dst.bytes().asFloatBuffer().put(0, a, 0, count);
  }

  /**
   * Euclidean norm of elements [0, count) of an off-heap buffer, read in cache-sized chunks and summed
   * in double with eight interleaved partial sums (a fixed order: deterministic, and vectorizable).
   */
  static double norm(Float32Buffer buf, long count) {
    java.nio.FloatBuffer v = buf.bytes().asFloatBuffer();
    float[] chunk = CHUNKS.get();
    double[] acc = new double[8];
    for (long from = 0; from < count; from += CHUNK) {
      int len = (int) Math.min(CHUNK, count - from);
      v.get((int) from, chunk, 0, len);
      sumSquares(chunk, len, acc);
    }
    return Math.sqrt(total(acc));
  }

  private static void sumSquares(float[] a, int len, double[] acc) {
    double s0 = acc[0];
    double s1 = acc[1];
    double s2 = acc[2];
    double s3 = acc[3];
    double s4 = acc[4];
    double s5 = acc[5];
    double s6 = acc[6];
    double s7 = acc[7];
    int i = 0;
    for (; i + 8 <= len; i += 8) {
      double x0 = a[i];
      double x1 = a[i + 1];
      double x2 = a[i + 2];
      double x3 = a[i + 3];
      double x4 = a[i + 4];
      double x5 = a[i + 5];
      double x6 = a[i + 6];
      double x7 = a[i + 7];
      s0 += x0 * x0;
      s1 += x1 * x1;
      s2 += x2 * x2;
      s3 += x3 * x3;
      s4 += x4 * x4;
      s5 += x5 * x5;
      s6 += x6 * x6;
      s7 += x7 * x7;
    }
    for (; i < len; i++) {
      double x = a[i];
      s0 += x * x;
    }
    acc[0] = s0;
    acc[1] = s1;
    acc[2] = s2;
    acc[3] = s3;
    acc[4] = s4;
    acc[5] = s5;
    acc[6] = s6;
    acc[7] = s7;
  }

  private static double total(double[] acc) {
    return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
  }
}
