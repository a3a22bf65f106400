package io.sparkint8.kernels.jni;

import java.nio.ByteBuffer;

/**
 * The JNI entry points of libint8k (src/main/native/int8k_jni.c). Each returns an int8k status (0 = OK);
 * {@link NativeBackend} turns a failure into an exception carrying {@link #lastError()}. The glue checks
 * every size against the capacity of the direct buffers it receives. Callers must load the library
 * first ({@link NativeLibrary#load()}).
 */
final class NativeKernels {
  static final int OK = 0;
  static final int ERR_ARG = 1;
  static final int ERR_NOMEM = 2;
  static final int ERR_STATE = 3;

  private NativeKernels() {}

  static native String lastError();

  static native int selectedIsa();

  static native int cpuIsa();

  static native String isaName(int isa);

  static native String gemmF32Route();

  static native long packedBSize(int k, int n);

  static native int packB(int transB, int k, int n, ByteBuffer b, int ldb, ByteBuffer packed);

  static native int gemmS8(
      int transA,
      int transB,
      int m,
      int n,
      int k,
      int lda,
      int ldb,
      int ldc,
      int threads,
      ByteBuffer a,
      ByteBuffer b,
      ByteBuffer packed,
      ByteBuffer c,
      boolean f32Out,
      float alpha,
      ByteBuffer rowScale,
      ByteBuffer colScale,
      ByteBuffer bias,
      float beta);

  static native int gemmF32(
      int transA,
      int transB,
      int m,
      int n,
      int k,
      int lda,
      int ldb,
      int ldc,
      int threads,
      float alpha,
      ByteBuffer a,
      ByteBuffer b,
      float beta,
      ByteBuffer c);

  static native int quantize(
      int rows,
      int cols,
      int bits,
      int granularity,
      int group,
      int rounding,
      boolean pow2,
      long seed,
      long stream,
      ByteBuffer src,
      ByteBuffer clip,
      ByteBuffer dst,
      ByteBuffer scales);

  static native int dequantize(
      int rows,
      int cols,
      int bits,
      int granularity,
      int group,
      int rounding,
      boolean pow2,
      long seed,
      long stream,
      ByteBuffer codes,
      ByteBuffer scales,
      ByteBuffer dst);

  static native int absmax(int rows, int cols, ByteBuffer src, int axis, ByteBuffer out);

  static native int channelFractionAboveStd(int rows, int cols, ByteBuffer src, ByteBuffer out);

  static native int clipCosineDeviation(
      int count, ByteBuffer src, int bits, float[] candidates, double[] out);

  static native int window(
      int op,
      int n,
      int h,
      int w,
      int c,
      int kh,
      int kw,
      int strideH,
      int strideW,
      int padH,
      int padW,
      ByteBuffer src,
      ByteBuffer dst,
      ByteBuffer argmax);

  static native int relu(long count, ByteBuffer src, ByteBuffer dst, ByteBuffer mask);

  static native int reluBackward(long count, ByteBuffer grad, ByteBuffer mask, ByteBuffer dst);

  static native int bnStatistics(
      int rows, int channels, ByteBuffer x, double[] mean, double[] m2, double[] absDev);

  static native int bnNormalize(
      int rows,
      int channels,
      ByteBuffer x,
      float[] mean,
      float[] invScale,
      float[] gamma,
      float[] beta,
      ByteBuffer xhat,
      ByteBuffer y);

  static native int bnBackwardSums(
      int rows, int channels, ByteBuffer gradOut, ByteBuffer xhat, double[] sumG, double[] sumGh);

  static native int bnBackwardInput(
      int rows,
      int channels,
      ByteBuffer gradOut,
      ByteBuffer xhat,
      double[] a,
      double[] b,
      double[] k,
      ByteBuffer gradIn);

  static native int reluF32(long count, ByteBuffer src, ByteBuffer dst);

  static native int columnSumsF32(int rows, int cols, ByteBuffer m, float[] out);

  static native int addRowVectorF32(int rows, int cols, ByteBuffer m, float[] v);

  static native int transposeF32(int rows, int cols, ByteBuffer src, ByteBuffer dst);

  static native int reluBackwardByOutputF32(long count, ByteBuffer grad, ByteBuffer y, ByteBuffer dst);
}
