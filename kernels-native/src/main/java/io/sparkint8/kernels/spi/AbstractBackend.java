package io.sparkint8.kernels.spi;

import io.sparkint8.kernels.memory.Float32Buffer;
import io.sparkint8.kernels.memory.Int32Buffer;
import io.sparkint8.kernels.memory.Int8Buffer;
import io.sparkint8.kernels.memory.OffHeapAllocator;
import io.sparkint8.kernels.memory.OffHeapBuffer;
import io.sparkint8.kernels.ref.MatrixGlueReference;
import io.sparkint8.kernels.ref.NormalizationReference;

/**
 * Argument checking shared by the backends: every public operation validates its buffers against the
 * descriptor (open, large enough) and then calls the backend's unchecked implementation. Messages name
 * the argument, the value and what was expected.
 */
public abstract class AbstractBackend implements Int8Backend {
  /** Largest k a single int32 pass can reduce without overflow (|a*b| <= 2^14). */
  public static final int KMAX = 131008;

  private final int threads;

  protected AbstractBackend(int threads) {
    if (threads < 1 || threads > 64) {
      throw new IllegalArgumentException("threads=" + threads + ", expected 1..64");
    }
    this.threads = threads;
  }

  @Override
  public final int threads() {
    return threads;
  }

  public static void require(OffHeapBuffer buffer, long elements, String what) {
    if (buffer == null) {
      throw new IllegalArgumentException("buffer '" + what + "' is null");
    }
    buffer.checkOpen();
    if (buffer.length() < elements) {
      throw new IllegalArgumentException(
          "buffer '" + what + "' holds " + buffer.length() + " elements, the call needs "
              + elements);
    }
  }

  public static void requireOptional(OffHeapBuffer buffer, long elements, String what) {
    if (buffer != null) {
      require(buffer, elements, what);
    }
  }

  public static void requireDesc(Object desc, String what) {
    if (desc == null) {
      throw new IllegalArgumentException(what + " must not be null");
    }
  }

  public static void requireCount(int count, String op) {
    if (count < 1) {
      throw new IllegalArgumentException(op + ": count=" + count + ", expected >= 1");
    }
  }

  public static void requireMatrix(int rows, int cols, String op) {
    if (rows < 1 || cols < 1 || (long) rows * cols > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(
          op + ": rows=" + rows + " cols=" + cols + ", expected >= 1 and at most 2^31-1 elements");
    }
  }

  private void checkGemm(GemmDesc d, Int8Buffer a, Int8Buffer b, OffHeapBuffer c) {
    requireDesc(d, "gemm descriptor");
    require(a, d.spanA(), "a");
    require(b, d.spanB(), "b");
    require(c, d.spanC(), "c");
  }

  private void checkPacked(GemmDesc d, Int8Buffer a, PackedB b, OffHeapBuffer c) {
    requireDesc(d, "gemm descriptor");
    require(a, d.spanA(), "a");
    if (b == null) {
      throw new IllegalArgumentException("packed b is null");
    }
    if (b.k() != d.k() || b.n() != d.n()) {
      throw new IllegalArgumentException(
          "packed b is " + b.k() + " x " + b.n() + ", the call needs " + d.k() + " x " + d.n());
    }
    String me = name() + "/" + isa();
    if (!b.packedBy().equals(me)) {
      throw new IllegalArgumentException(
          "packed b was made by " + b.packedBy() + " and cannot be used by " + me);
    }
    b.data().checkOpen();
    require(c, d.spanC(), "c");
  }

  private static void checkEpilogue(GemmDesc d, Epilogue ep) {
    if (ep == null) {
      throw new IllegalArgumentException("epilogue must not be null (use Epilogue.scale(1))");
    }
    requireOptional(ep.rowScale(), d.m(), "rowScale");
    requireOptional(ep.colScale(), d.n(), "colScale");
    requireOptional(ep.bias(), d.n(), "bias");
  }

  @Override
  public final void gemmS8S8S32(GemmDesc d, Int8Buffer a, Int8Buffer b, Int32Buffer c) {
    checkGemm(d, a, b, c);
    gemmS8(d, a, b, null, null, c, null);
  }

  @Override
  public final void gemmS8S8S32(GemmDesc d, Int8Buffer a, PackedB b, Int32Buffer c) {
    checkPacked(d, a, b, c);
    gemmS8(d, a, null, b, null, c, null);
  }

  @Override
  public final void gemmS8S8F32(
      GemmDesc d, Int8Buffer a, Int8Buffer b, Epilogue ep, Float32Buffer c) {
    checkGemm(d, a, b, c);
    checkEpilogue(d, ep);
    gemmS8(d, a, b, null, ep, null, c);
  }

  @Override
  public final void gemmS8S8F32(GemmDesc d, Int8Buffer a, PackedB b, Epilogue ep, Float32Buffer c) {
    checkPacked(d, a, b, c);
    checkEpilogue(d, ep);
    gemmS8(d, a, null, b, ep, null, c);
  }

  /** Exactly one of b / packed and one of c32 / c32f is non-null; ep != null iff cf != null. */
  protected abstract void gemmS8(
      GemmDesc d,
      Int8Buffer a,
      Int8Buffer b,
      PackedB packed,
      Epilogue ep,
      Int32Buffer c32,
      Float32Buffer cf);

  @Override
  public final PackedB packB(
      OffHeapAllocator allocator, Trans transB, int k, int n, int ldb, Int8Buffer b) {
    if (allocator == null || transB == null) {
      throw new IllegalArgumentException("packB: allocator and transB must not be null");
    }
    if (k < 1 || k > KMAX || n < 1) {
      throw new IllegalArgumentException(
          "packB: k=" + k + " n=" + n + ", expected 1 <= k <= " + KMAX + " and n >= 1");
    }
    int cols = transB == Trans.N ? n : k;
    if (ldb < cols) {
      throw new IllegalArgumentException("packB: ldb=" + ldb + ", expected >= " + cols);
    }
    require(b, transB == Trans.N ? GemmDesc.span(k, n, ldb) : GemmDesc.span(n, k, ldb), "b");
    return pack(allocator, transB, k, n, ldb, b);
  }

  protected abstract PackedB pack(
      OffHeapAllocator allocator, Trans transB, int k, int n, int ldb, Int8Buffer b);

  @Override
  public final void gemmF32(
      GemmDesc d, float alpha, Float32Buffer a, Float32Buffer b, float beta, Float32Buffer c) {
    requireDesc(d, "gemm descriptor");
    require(a, d.spanA(), "a");
    require(b, d.spanB(), "b");
    require(c, d.spanC(), "c");
    sgemm(d, alpha, a, b, beta, c);
  }

  protected abstract void sgemm(
      GemmDesc d, float alpha, Float32Buffer a, Float32Buffer b, float beta, Float32Buffer c);

  @Override
  public final void quantize(
      QuantDesc d, Float32Buffer src, Float32Buffer clip, Int8Buffer codes, Float32Buffer scales) {
    requireDesc(d, "quant descriptor");
    require(src, d.count(), "src");
    requireOptional(clip, d.groups(), "clip");
    require(codes, d.count(), "codes");
    require(scales, d.groups(), "scales");
    quantizeChecked(d, src, clip, codes, scales);
  }

  protected abstract void quantizeChecked(
      QuantDesc d, Float32Buffer src, Float32Buffer clip, Int8Buffer codes, Float32Buffer scales);

  @Override
  public final void dequantize(
      QuantDesc d, Int8Buffer codes, Float32Buffer scales, Float32Buffer dst) {
    requireDesc(d, "quant descriptor");
    require(codes, d.count(), "codes");
    require(scales, d.groups(), "scales");
    require(dst, d.count(), "dst");
    dequantizeChecked(d, codes, scales, dst);
  }

  protected abstract void dequantizeChecked(
      QuantDesc d, Int8Buffer codes, Float32Buffer scales, Float32Buffer dst);

  @Override
  public final void absmax(int rows, int cols, Float32Buffer src, Axis axis, Float32Buffer out) {
    requireMatrix(rows, cols, "absmax");
    requireDesc(axis, "axis");
    require(src, (long) rows * cols, "src");
    require(out, axis.outputs(rows, cols), "out");
    absmaxChecked(rows, cols, src, axis, out);
  }

  protected abstract void absmaxChecked(int rows, int cols, Float32Buffer src, Axis axis, Float32Buffer out);

  @Override
  public final void channelFractionAboveStd(
      int rows, int cols, Float32Buffer src, Float32Buffer out) {
    requireMatrix(rows, cols, "channelFractionAboveStd");
    require(src, (long) rows * cols, "src");
    require(out, cols, "out");
    channelFractionChecked(rows, cols, src, out);
  }

  protected abstract void channelFractionChecked(int rows, int cols, Float32Buffer src, Float32Buffer out);

  @Override
  public final double[] clipCosineDeviation(
      Float32Buffer src, int count, int bits, float[] candidates) {
    requireCount(count, "clipCosineDeviation");
    require(src, count, "src");
    if (bits < 2 || bits > 8) {
      throw new IllegalArgumentException("clipCosineDeviation: bits=" + bits + ", expected 2..8");
    }
    if (candidates == null || candidates.length < 1 || candidates.length > 64) {
      throw new IllegalArgumentException(
          "clipCosineDeviation: "
              + (candidates == null ? "null" : String.valueOf(candidates.length))
              + " candidates, expected 1..64");
    }
    for (int i = 0; i < candidates.length; i++) {
      if (!(Float.isFinite(candidates[i]) && candidates[i] > 0)) {
        throw new IllegalArgumentException(
            "clipCosineDeviation: candidate[" + i + "]=" + candidates[i]
                + ", expected a finite value > 0");
      }
    }
    return clipDeviationChecked(src, count, bits, candidates.clone());
  }

  protected abstract double[] clipDeviationChecked(Float32Buffer src, int count, int bits, float[] cand);

  @Override
  public final void im2col(ConvDesc d, Int8Buffer src, Int8Buffer cols) {
    requireDesc(d, "window descriptor");
    require(src, d.inputSize(), "src");
    require(cols, (long) d.colRows() * d.colCols(), "cols");
    window(WindowOp.IM2COL_S8, d, src, cols, null);
  }

  @Override
  public final void im2col(ConvDesc d, Float32Buffer src, Float32Buffer cols) {
    requireDesc(d, "window descriptor");
    require(src, d.inputSize(), "src");
    require(cols, (long) d.colRows() * d.colCols(), "cols");
    window(WindowOp.IM2COL_F32, d, src, cols, null);
  }

  @Override
  public final void col2im(ConvDesc d, Float32Buffer cols, Float32Buffer dst) {
    requireDesc(d, "window descriptor");
    require(cols, (long) d.colRows() * d.colCols(), "cols");
    require(dst, d.inputSize(), "dst");
    window(WindowOp.COL2IM_F32, d, cols, dst, null);
  }

  @Override
  public final void col2im(ConvDesc d, Int32Buffer cols, Int32Buffer dst) {
    requireDesc(d, "window descriptor");
    require(cols, (long) d.colRows() * d.colCols(), "cols");
    require(dst, d.inputSize(), "dst");
    window(WindowOp.COL2IM_S32, d, cols, dst, null);
  }

  @Override
  public final void maxPool(ConvDesc d, Int8Buffer src, Int8Buffer dst, Int32Buffer argmax) {
    requireDesc(d, "window descriptor");
    d.requirePoolingPadding();
    require(src, d.inputSize(), "src");
    require(dst, d.pooledSize(), "dst");
    require(argmax, d.pooledSize(), "argmax");
    window(WindowOp.MAXPOOL_S8, d, src, dst, argmax);
  }

  @Override
  public final void maxPoolF32(ConvDesc d, Float32Buffer src, Float32Buffer dst, Int32Buffer argmax) {
    requireDesc(d, "window descriptor");
    d.requirePoolingPadding();
    require(src, d.inputSize(), "src");
    require(dst, d.pooledSize(), "dst");
    require(argmax, d.pooledSize(), "argmax");
    window(WindowOp.MAXPOOL_F32, d, src, dst, argmax);
  }

  @Override
  public final void maxPoolBackward(
      ConvDesc d, Float32Buffer gradOut, Int32Buffer argmax, Float32Buffer gradIn) {
    requireDesc(d, "window descriptor");
    d.requirePoolingPadding();
    require(gradOut, d.pooledSize(), "gradOut");
    require(argmax, d.pooledSize(), "argmax");
    require(gradIn, d.inputSize(), "gradIn");
    window(WindowOp.MAXPOOL_BACKWARD_F32, d, gradOut, gradIn, argmax);
  }

  /** The window operations, numbered as the native glue expects. */
  protected enum WindowOp {
    IM2COL_S8,
    IM2COL_F32,
    COL2IM_F32,
    COL2IM_S32,
    MAXPOOL_S8,
    MAXPOOL_BACKWARD_F32,
    MAXPOOL_F32
  }

  protected abstract void window(
      WindowOp op, ConvDesc d, OffHeapBuffer src, OffHeapBuffer dst, Int32Buffer argmax);

  @Override
  public final void relu(int count, Int8Buffer src, Int8Buffer dst, Int8Buffer mask) {
    requireCount(count, "relu");
    require(src, count, "src");
    require(dst, count, "dst");
    require(mask, count, "mask");
    reluChecked(count, src, dst, mask);
  }

  protected abstract void reluChecked(int count, Int8Buffer src, Int8Buffer dst, Int8Buffer mask);

  @Override
  public final void reluBackward(int count, Float32Buffer grad, Int8Buffer mask, Float32Buffer dst) {
    requireCount(count, "reluBackward");
    require(grad, count, "grad");
    require(mask, count, "mask");
    require(dst, count, "dst");
    reluBackwardChecked(count, grad, mask, dst);
  }

  protected abstract void reluBackwardChecked(int count, Float32Buffer grad, Int8Buffer mask, Float32Buffer dst);

  @Override
  public String toString() {
    return name() + "/" + isa() + " (" + threads + " thread" + (threads == 1 ? ")" : "s)");
  }

  // ---- batch normalization, fp32 ReLU and matrix glue: checked here once; the *Checked methods run
  // the reference on the host buffers unless a backend overrides them with kernels of its own ----------

  @Override
  public final void bnStatistics(
      int rows, int channels, Float32Buffer x, double[] mean, double[] m2, double[] absDev) {
    NormalizationReference.checkStatistics(rows, channels, x, mean, m2, absDev);
    bnStatisticsChecked(rows, channels, x, mean, m2, absDev);
  }

  protected void bnStatisticsChecked(
      int rows, int channels, Float32Buffer x, double[] mean, double[] m2, double[] absDev) {
    NormalizationReference.statistics(rows, channels, x, mean, m2, absDev);
  }

  @Override
  public final void bnNormalize(
      int rows,
      int channels,
      Float32Buffer x,
      float[] mean,
      float[] invScale,
      float[] gamma,
      float[] beta,
      Float32Buffer xhat,
      Float32Buffer y) {
    NormalizationReference.checkNormalize(rows, channels, x, mean, invScale, gamma, beta, xhat, y);
    bnNormalizeChecked(rows, channels, x, mean, invScale, gamma, beta, xhat, y);
  }

  protected void bnNormalizeChecked(
      int rows,
      int channels,
      Float32Buffer x,
      float[] mean,
      float[] invScale,
      float[] gamma,
      float[] beta,
      Float32Buffer xhat,
      Float32Buffer y) {
    NormalizationReference.normalize(rows, channels, x, mean, invScale, gamma, beta, xhat, y);
  }

  @Override
  public final void bnBackwardSums(
      int rows, int channels, Float32Buffer gradOut, Float32Buffer xhat, double[] sumG,
      double[] sumGh) {
    NormalizationReference.checkSums(rows, channels, gradOut, xhat, sumG, sumGh);
    bnBackwardSumsChecked(rows, channels, gradOut, xhat, sumG, sumGh);
  }

  protected void bnBackwardSumsChecked(
      int rows, int channels, Float32Buffer gradOut, Float32Buffer xhat, double[] sumG,
      double[] sumGh) {
    NormalizationReference.backwardSums(rows, channels, gradOut, xhat, sumG, sumGh);
  }

  @Override
  public final void bnBackwardInput(
      int rows,
      int channels,
      Float32Buffer gradOut,
      Float32Buffer xhat,
      double[] a,
      double[] b,
      double[] k,
      Float32Buffer gradIn) {
    NormalizationReference.checkInput(rows, channels, gradOut, xhat, a, b, k, gradIn);
    bnBackwardInputChecked(rows, channels, gradOut, xhat, a, b, k, gradIn);
  }

  protected void bnBackwardInputChecked(
      int rows,
      int channels,
      Float32Buffer gradOut,
      Float32Buffer xhat,
      double[] a,
      double[] b,
      double[] k,
      Float32Buffer gradIn) {
    NormalizationReference.backwardInput(rows, channels, gradOut, xhat, a, b, k, gradIn);
  }

  @Override
  public final void reluF32(int count, Float32Buffer src, Float32Buffer dst) {
    requireCount(count, "reluF32");
    require(src, count, "src");
    require(dst, count, "dst");
    reluF32Checked(count, src, dst);
  }

  protected void reluF32Checked(int count, Float32Buffer src, Float32Buffer dst) {
    NormalizationReference.reluF32(count, src, dst);
  }

  @Override
  public final void reluBackwardF32(
      int count, Float32Buffer grad, Float32Buffer y, Float32Buffer dst) {
    requireCount(count, "reluBackwardF32");
    require(grad, count, "grad");
    require(y, count, "y");
    require(dst, count, "dst");
    reluBackwardF32Checked(count, grad, y, dst);
  }

  protected void reluBackwardF32Checked(int count, Float32Buffer grad, Float32Buffer y, Float32Buffer dst) {
    NormalizationReference.reluBackwardF32(count, grad, y, dst);
  }

  @Override
  public final void columnSumsF32(int rows, int cols, Float32Buffer m, float[] out) {
    MatrixGlueReference.checkVectorOp("columnSumsF32", rows, cols, m, out);
    columnSumsF32Checked(rows, cols, m, out);
  }

  protected void columnSumsF32Checked(int rows, int cols, Float32Buffer m, float[] out) {
    MatrixGlueReference.columnSums(rows, cols, m, out);
  }

  @Override
  public final void addRowVectorF32(int rows, int cols, Float32Buffer m, float[] v) {
    MatrixGlueReference.checkVectorOp("addRowVectorF32", rows, cols, m, v);
    addRowVectorF32Checked(rows, cols, m, v);
  }

  protected void addRowVectorF32Checked(int rows, int cols, Float32Buffer m, float[] v) {
    MatrixGlueReference.addRowVector(rows, cols, m, v);
  }

  @Override
  public final void transposeF32(int rows, int cols, Float32Buffer src, Float32Buffer dst) {
    MatrixGlueReference.checkTranspose(rows, cols, src, dst);
    transposeF32Checked(rows, cols, src, dst);
  }

  protected void transposeF32Checked(int rows, int cols, Float32Buffer src, Float32Buffer dst) {
    MatrixGlueReference.transpose(rows, cols, src, dst);
  }
}
