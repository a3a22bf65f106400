package io.sparkint8.kernels.jni;

import io.sparkint8.kernels.memory.Float32Buffer;
import io.sparkint8.kernels.memory.Int32Buffer;
import io.sparkint8.kernels.memory.Int8Buffer;
import io.sparkint8.kernels.memory.OffHeapAllocator;
import io.sparkint8.kernels.memory.OffHeapBuffer;
import io.sparkint8.kernels.spi.AbstractBackend;
import io.sparkint8.kernels.spi.Axis;
import io.sparkint8.kernels.spi.BnAffine;
import io.sparkint8.kernels.spi.ConvDesc;
import io.sparkint8.kernels.spi.Epilogue;
import io.sparkint8.kernels.spi.GemmDesc;
import io.sparkint8.kernels.spi.Int8Backend;
import io.sparkint8.kernels.spi.PackedB;
import io.sparkint8.kernels.spi.QuantDesc;
import io.sparkint8.kernels.spi.StemMoments;
import io.sparkint8.kernels.spi.Trans;
import java.nio.ByteBuffer;

/**
 * The JNI backend: C kernels with a path per instruction set (scalar, AVX2, AVX-512 VNNI), the best the
 * CPU supports chosen at run time and capped by the environment variable {@code INT8K_MAX_ISA}. Results
 * equal the reference's bit for bit on every path and thread count, the fp32 GEMM included (its own
 * kernels, route "int8k-sgemm"; no system BLAS is loaded).
 *
 * <p>Each operation's hook is followed by its JNI entry point, a static native of the same name
 * (src/main/native/int8k_jni.c; generated there from int8k_ops.def for all but the GEMM, quantization
 * and DSGC). A native returns an int8k status, which {@link #check} turns into an exception carrying the
 * library's message; the glue checks every size against the capacity of the direct buffers it
 * receives. Call them only after {@link NativeLibrary#load()}.
 */
public final class NativeBackend extends AbstractBackend {
  static final int OK = 0;
  static final int ERR_ARG = 1;
  static final int ERR_NOMEM = 2;
  static final int ERR_STATE = 3;

  private final String isa;

  private NativeBackend(int threads, String isa) {
    super(threads);
    this.isa = isa;
  }

  /** Null when the native backend can run here, otherwise why not. */
  public static String unavailableReason() {
    if (!NativeLibrary.load()) {
      return "native library not loaded: " + NativeLibrary.failure();
    }
    if (selectedIsa() < 0) {
      return lastError();
    }
    return null;
  }

  /** A single-threaded native backend; throws IllegalStateException with the reason if unavailable. */
  public static NativeBackend create() {
    String reason = unavailableReason();
    if (reason != null) {
      throw new IllegalStateException("int8.backend=native is unavailable: " + reason);
    }
    return new NativeBackend(1, isaName(selectedIsa()));
  }

  /** The best ISA of this CPU, ignoring INT8K_MAX_ISA (e.g. to tell a capped run from a weak CPU). */
  public static String cpuIsa() {
    create();
    return isaName(nativeCpuIsa());
  }

  @Override
  public String name() {
    return "native";
  }

  @Override
  public String isa() {
    return isa;
  }

  @Override
  public Int8Backend withThreads(int threads) {
    return new NativeBackend(threads, isa);
  }

  @Override
  public String gemmF32Route() {
    return nativeGemmF32Route();
  }

  static native String lastError();

  @Override
  public long nativeScratchPeakBytes() {
    return scratchPeakBytes();
  }

  @Override
  public void resetNativeScratchPeak() {
    scratchResetPeak();
  }

  static native long scratchPeakBytes();

  static native void scratchResetPeak();

  static native int selectedIsa();

  /** (The natives of cpuIsa and gemmF32Route, whose Java names are taken by their public wrappers.) */
  private static native int nativeCpuIsa();

  static native String isaName(int isa);

  private static native String nativeGemmF32Route();

  private static void check(int status) {
    if (status == OK) {
      return;
    }
    String message = lastError();
    switch (status) {
      case ERR_ARG:
        throw new IllegalArgumentException(message);
      case ERR_NOMEM:
        throw new OutOfMemoryError(message);
      default:
        throw new IllegalStateException(message);
    }
  }

  private static ByteBuffer bytesOrNull(OffHeapBuffer b) {
    return b == null ? null : b.bytes();
  }

  // ---- GEMM ---------------------------------------------------------------------------------------

  @Override
  protected void gemmS8S8S32Unchecked(GemmDesc d, Int8Buffer a, Int8Buffer b, Int32Buffer c) {
    check(callGemmS8S8S32(d, a, b.bytes(), null, c));
  }

  @Override
  protected void gemmS8S8S32Unchecked(GemmDesc d, Int8Buffer a, PackedB b, Int32Buffer c) {
    check(callGemmS8S8S32(d, a, null, b.data().bytes(), c));
  }

  private int callGemmS8S8S32(
      GemmDesc d, Int8Buffer a, ByteBuffer b, ByteBuffer packed, Int32Buffer c) {
    return gemmS8S8S32(d.transA().code(), d.transB().code(), d.m(), d.n(), d.k(), d.lda(), d.ldb(),
        d.ldc(), threads(), a.bytes(), b, packed, c.bytes());
  }

  /** B is {@code b}, or when that is null {@code packed} (made by {@link #packB}). */
  static native int gemmS8S8S32(int transA, int transB, int m, int n, int k, int lda, int ldb, int ldc,
      int threads, ByteBuffer a, ByteBuffer b, ByteBuffer packed, ByteBuffer c);

  @Override
  protected void gemmS8S8F32Unchecked(
      GemmDesc d, Int8Buffer a, Int8Buffer b, Epilogue ep, Float32Buffer c) {
    check(callGemmS8S8F32(d, a, b.bytes(), null, ep, c));
  }

  @Override
  protected void gemmS8S8F32Unchecked(
      GemmDesc d, Int8Buffer a, PackedB b, Epilogue ep, Float32Buffer c) {
    check(callGemmS8S8F32(d, a, null, b.data().bytes(), ep, c));
  }

  private int callGemmS8S8F32(
      GemmDesc d, Int8Buffer a, ByteBuffer b, ByteBuffer packed, Epilogue ep, Float32Buffer c) {
    return gemmS8S8F32(d.transA().code(), d.transB().code(), d.m(), d.n(), d.k(), d.lda(), d.ldb(),
        d.ldc(), threads(), a.bytes(), b, packed, c.bytes(), ep.alpha(), bytesOrNull(ep.rowScale()),
        bytesOrNull(ep.colScale()), bytesOrNull(ep.bias()), ep.beta());
  }

  static native int gemmS8S8F32(int transA, int transB, int m, int n, int k, int lda, int ldb, int ldc,
      int threads, ByteBuffer a, ByteBuffer b, ByteBuffer packed, ByteBuffer c, float alpha,
      ByteBuffer rowScale, ByteBuffer colScale, ByteBuffer bias, float beta);

  @Override
  protected PackedB packBUnchecked(
      OffHeapAllocator allocator, Trans transB, int k, int n, int ldb, Int8Buffer b) {
    long size = packedBSize(k, n);
    if (size < 0) {
      check(ERR_ARG);
    }
    Int8Buffer data = allocator.allocateInt8(size);
    try {
      check(packB(transB.code(), k, n, b.bytes(), ldb, data.bytes()));
    } catch (RuntimeException e) {
      data.close();
      throw e;
    }
    return new PackedB(data, k, n, packer());
  }

  /** Bytes of a B packed for (k, n) on this ISA path, or -1. */
  static native long packedBSize(int k, int n);

  static native int packB(int transB, int k, int n, ByteBuffer b, int ldb, ByteBuffer packed);

  @Override
  protected void gemmF32Unchecked(
      GemmDesc d, float alpha, Float32Buffer a, Float32Buffer b, float beta, Float32Buffer c) {
    check(gemmF32(d.transA().code(), d.transB().code(), d.m(), d.n(), d.k(), d.lda(), d.ldb(),
        d.ldc(), threads(), alpha, a.bytes(), b.bytes(), beta, c.bytes()));
  }

  static native int gemmF32(int transA, int transB, int m, int n, int k, int lda, int ldb, int ldc,
      int threads, float alpha, ByteBuffer a, ByteBuffer b, float beta, ByteBuffer c);

  // ---- quantization and statistics ----------------------------------------------------------------

  @Override
  protected void quantizeUnchecked(
      QuantDesc d, Float32Buffer src, Float32Buffer clip, Int8Buffer codes, Float32Buffer scales) {
    check(quantize(d.rows(), d.cols(), d.bits(), d.granularity().code(), d.group(),
        d.rounding().code(), d.pow2(), d.seed(), d.stream(), src.bytes(), bytesOrNull(clip),
        codes.bytes(), scales.bytes()));
  }

  static native int quantize(int rows, int cols, int bits, int granularity, int group, int rounding,
      boolean pow2, long seed, long stream, ByteBuffer src, ByteBuffer clip, ByteBuffer dst,
      ByteBuffer scales);

  @Override
  protected void quantizeTransposedUnchecked(
      QuantDesc d, Float32Buffer srcT, Float32Buffer clip, Int8Buffer codes, Float32Buffer scales) {
    check(quantizeTransposed(d.rows(), d.cols(), d.bits(), d.granularity().code(),
        d.rounding().code(), d.pow2(), d.seed(), d.stream(), srcT.bytes(), clip.bytes(),
        codes.bytes(), scales.bytes()));
  }

  static native int quantizeTransposed(int rows, int cols, int bits, int granularity,
      int rounding, boolean pow2, long seed, long stream, ByteBuffer srcT, ByteBuffer clip,
      ByteBuffer dst, ByteBuffer scales);

  @Override
  protected void shiftQuantizeUnchecked(QuantDesc d, Float32Buffer src, Float32Buffer rowClip,
      Int8Buffer codes, Int32Buffer exponents) {
    check(shiftQuantize(d.rows(), d.cols(), d.bits(), d.group(), d.rounding().code(), d.seed(),
        d.stream(), src.bytes(), bytesOrNull(rowClip), codes.bytes(), exponents.bytes()));
  }

  static native int shiftQuantize(int rows, int cols, int bits, int group, int rounding, long seed,
      long stream, ByteBuffer src, ByteBuffer rowClip, ByteBuffer dst, ByteBuffer exponents);

  @Override
  protected void gemmShiftS8S8F32Unchecked(GemmDesc d, Int8Buffer a, Int8Buffer b, int group,
      Int32Buffer exponents, float alpha, Float32Buffer c) {
    check(gemmShiftS8S8F32(d.transA().code(), d.transB().code(), d.m(), d.n(), d.k(), d.lda(),
        d.ldb(), d.ldc(), threads(), a.bytes(), b.bytes(), group, exponents.bytes(), alpha,
        c.bytes()));
  }

  static native int gemmShiftS8S8F32(int transA, int transB, int m, int n, int k, int lda, int ldb,
      int ldc, int threads, ByteBuffer a, ByteBuffer b, int group, ByteBuffer exponents,
      float alpha, ByteBuffer c);

  @Override
  protected void dequantizeUnchecked(
      QuantDesc d, Int8Buffer codes, Float32Buffer scales, Float32Buffer dst) {
    check(dequantize(d.rows(), d.cols(), d.bits(), d.granularity().code(), d.group(),
        d.rounding().code(), d.pow2(), d.seed(), d.stream(), codes.bytes(), scales.bytes(),
        dst.bytes()));
  }

  static native int dequantize(int rows, int cols, int bits, int granularity, int group,
      int rounding, boolean pow2, long seed, long stream, ByteBuffer codes, ByteBuffer scales,
      ByteBuffer dst);

  @Override
  protected void absmaxUnchecked(
      int rows, int cols, Float32Buffer src, Axis axis, Float32Buffer out) {
    check(absmax(rows, cols, src.bytes(), axis.code(), out.bytes()));
  }

  static native int absmax(long rows, long cols, ByteBuffer src, int axis, ByteBuffer out);

  @Override
  protected void channelFractionAboveStdUnchecked(
      int rows, int cols, Float32Buffer src, Float32Buffer out) {
    check(channelFractionAboveStd(rows, cols, src.bytes(), out.bytes()));
  }

  static native int channelFractionAboveStd(long rows, long cols, ByteBuffer src, ByteBuffer out);

  @Override
  protected double[] clipCosineSumsUnchecked(
      Float32Buffer src, int count, int bits, float[] candidates) {
    double[] out = new double[2 * candidates.length + 1];
    check(clipCosineSums(count, src.bytes(), bits, candidates, out));
    return out;
  }

  static native int clipCosineSums(
      int count, ByteBuffer src, int bits, float[] candidates, double[] out);

  @Override
  protected void quantizeTransposedBothUnchecked(QuantDesc d, Float32Buffer srcT,
      Float32Buffer clip, Int8Buffer codes, Int8Buffer codesT, Float32Buffer scales) {
    check(quantizeTransposedBoth(d.rows(), d.cols(), d.bits(), d.granularity().code(),
        d.rounding().code(), d.pow2(), d.seed(), d.stream(), srcT.bytes(), clip.bytes(),
        codes.bytes(), codesT.bytes(), scales.bytes()));
  }

  static native int quantizeTransposedBoth(int rows, int cols, int bits, int granularity,
      int rounding, boolean pow2, long seed, long stream, ByteBuffer srcT, ByteBuffer clip,
      ByteBuffer dst, ByteBuffer dstT, ByteBuffer scales);

  // ---- windows: the descriptor travels as int[] {n, h, w, c, kh, kw, strideH, strideW, padH, padW} --

  private static int[] window(ConvDesc d) {
    return new int[] {
      d.n(), d.h(), d.w(), d.c(), d.kh(), d.kw(), d.strideH(), d.strideW(), d.padH(), d.padW()
    };
  }

  @Override
  protected void im2colUnchecked(ConvDesc d, Int8Buffer src, Int8Buffer cols) {
    check(im2colS8(window(d), src.bytes(), cols.bytes()));
  }

  static native int im2colS8(int[] window, ByteBuffer src, ByteBuffer cols);

  @Override
  protected void im2colUnchecked(ConvDesc d, Float32Buffer src, Float32Buffer cols) {
    check(im2colF32(window(d), src.bytes(), cols.bytes()));
  }

  static native int im2colF32(int[] window, ByteBuffer src, ByteBuffer cols);

  @Override
  protected void col2imUnchecked(ConvDesc d, Float32Buffer cols, Float32Buffer dst) {
    check(col2imF32(window(d), cols.bytes(), dst.bytes()));
  }

  static native int col2imF32(int[] window, ByteBuffer cols, ByteBuffer dst);

  @Override
  protected void col2imUnchecked(ConvDesc d, Int32Buffer cols, Int32Buffer dst) {
    check(col2imS32(window(d), cols.bytes(), dst.bytes()));
  }

  static native int col2imS32(int[] window, ByteBuffer cols, ByteBuffer dst);

  @Override
  protected void maxPoolUnchecked(ConvDesc d, Int8Buffer src, Int8Buffer dst, Int32Buffer argmax) {
    check(maxPool(window(d), src.bytes(), dst.bytes(), argmax.bytes()));
  }

  static native int maxPool(int[] window, ByteBuffer src, ByteBuffer dst, ByteBuffer argmax);

  @Override
  protected void maxPoolF32Unchecked(
      ConvDesc d, Float32Buffer src, Float32Buffer dst, Int32Buffer argmax) {
    check(maxPoolF32(window(d), src.bytes(), dst.bytes(), argmax.bytes()));
  }

  static native int maxPoolF32(int[] window, ByteBuffer src, ByteBuffer dst, ByteBuffer argmax);

  @Override
  protected void maxPoolBackwardUnchecked(
      ConvDesc d, Float32Buffer gradOut, Int32Buffer argmax, Float32Buffer gradIn) {
    check(maxPoolBackward(window(d), gradOut.bytes(), argmax.bytes(), gradIn.bytes()));
  }

  static native int maxPoolBackward(
      int[] window, ByteBuffer gradOut, ByteBuffer argmax, ByteBuffer gradIn);

  // ---- activations --------------------------------------------------------------------------------

  @Override
  protected void reluUnchecked(int count, Int8Buffer src, Int8Buffer dst, Int8Buffer mask) {
    check(relu(count, src.bytes(), dst.bytes(), mask.bytes()));
  }

  static native int relu(long count, ByteBuffer src, ByteBuffer dst, ByteBuffer mask);

  @Override
  protected void reluBackwardUnchecked(
      int count, Float32Buffer grad, Int8Buffer mask, Float32Buffer dst) {
    check(reluBackward(count, grad.bytes(), mask.bytes(), dst.bytes()));
  }

  static native int reluBackward(long count, ByteBuffer grad, ByteBuffer mask, ByteBuffer dst);

  @Override
  protected void convS8DirectUnchecked(ConvDesc d, Int8Buffer src, Int8Buffer wei, int outChannels,
      Epilogue ep, Float32Buffer dst) {
    check(convS8Direct(window(d), src.bytes(), outChannels, wei.bytes(), ep.alpha(),
        bytesOrNull(ep.rowScale()), bytesOrNull(ep.colScale()), bytesOrNull(ep.bias()), ep.beta(),
        dst.bytes()));
  }

  static native int convS8Direct(int[] window, ByteBuffer src, int oc, ByteBuffer wei, float alpha,
      ByteBuffer rowScale, ByteBuffer colScale, ByteBuffer bias, float beta, ByteBuffer dst);

  @Override
  protected void convS8DirectSumsUnchecked(ConvDesc d, Int8Buffer src, Int8Buffer wei,
      int outChannels, Epilogue ep, Float32Buffer dst, double[] columnSums) {
    check(convS8DirectSums(window(d), src.bytes(), outChannels, wei.bytes(), ep.alpha(),
        bytesOrNull(ep.rowScale()), bytesOrNull(ep.colScale()), bytesOrNull(ep.bias()), ep.beta(),
        dst.bytes(), columnSums));
  }

  static native int convS8DirectSums(int[] window, ByteBuffer src, int oc, ByteBuffer wei,
      float alpha, ByteBuffer rowScale, ByteBuffer colScale, ByteBuffer bias, float beta,
      ByteBuffer dst, double[] columnSums);

  @Override
  protected void convGradWeightF32DirectUnchecked(ConvDesc d, Float32Buffer src,
      Float32Buffer gradOut, int outChannels, Float32Buffer gradWeight, float[] gradBias) {
    // the native op always sums the bias too (one add per error element in the same pass)
    float[] bias = gradBias != null ? gradBias : new float[outChannels];
    check(convGradWeightF32Direct(window(d), src.bytes(), outChannels, gradOut.bytes(),
        gradWeight.bytes(), bias));
  }

  static native int convGradWeightF32Direct(int[] window, ByteBuffer src, int oc,
      ByteBuffer gradOut, ByteBuffer gradWei, float[] gradBias);

  @Override
  protected void reluF32Unchecked(int count, Float32Buffer src, Float32Buffer dst) {
    check(reluF32(count, src.bytes(), dst.bytes()));
  }

  static native int reluF32(long count, ByteBuffer src, ByteBuffer dst);

  @Override
  protected void reluBackwardF32Unchecked(
      int count, Float32Buffer grad, Float32Buffer y, Float32Buffer dst) {
    check(reluBackwardF32(count, grad.bytes(), y.bytes(), dst.bytes()));
  }

  static native int reluBackwardF32(long count, ByteBuffer grad, ByteBuffer y, ByteBuffer dst);

  // ---- batch normalization ------------------------------------------------------------------------

  @Override
  protected void bnStatisticsUnchecked(
      int rows, int channels, Float32Buffer x, double[] mean, double[] m2, double[] absDev) {
    check(bnStatistics(rows, channels, x.bytes(), mean, m2, absDev));
  }

  static native int bnStatistics(
      long rows, long channels, ByteBuffer x, double[] mean, double[] m2, double[] absDev);

  @Override
  protected void bnDeviationsUnchecked(
      int rows, int channels, Float32Buffer x, double[] mean, double[] m2, double[] absDev) {
    check(bnDeviations(rows, channels, x.bytes(), mean, m2, absDev));
  }

  static native int bnDeviations(
      long rows, long channels, ByteBuffer x, double[] mean, double[] m2, double[] absDev);

  @Override
  protected void bnNormalizeUnchecked(
      int rows, int channels, Float32Buffer x, BnAffine p, boolean relu, Float32Buffer y) {
    check(bnNormalize(rows, channels, x.bytes(), p.mean(), p.invScale(), p.gamma(), p.beta(),
        relu ? 1 : 0, y.bytes()));
  }

  static native int bnNormalize(long rows, long channels, ByteBuffer x, float[] mean,
      float[] invScale, float[] gamma, float[] beta, int relu, ByteBuffer y);

  @Override
  protected void bnBackwardSumsUnchecked(
      int rows,
      int channels,
      Float32Buffer gradOut,
      Float32Buffer x,
      BnAffine p,
      boolean relu,
      double[] sumG,
      double[] sumGh) {
    check(bnBackwardSums(rows, channels, gradOut.bytes(), x.bytes(), p.mean(), p.invScale(),
        p.gamma(), p.beta(), relu ? 1 : 0, sumG, sumGh));
  }

  static native int bnBackwardSums(long rows, long channels, ByteBuffer gradOut, ByteBuffer x,
      float[] mean, float[] invScale, float[] gamma, float[] beta, int relu, double[] sumG,
      double[] sumGh);

  @Override
  protected void bnBackwardInputUnchecked(
      int rows,
      int channels,
      Float32Buffer gradOut,
      Float32Buffer x,
      BnAffine p,
      boolean relu,
      double[] a,
      double[] b,
      double[] k,
      Float32Buffer gradIn) {
    check(bnBackwardInput(rows, channels, gradOut.bytes(), x.bytes(), p.mean(), p.invScale(),
        p.gamma(), p.beta(), relu ? 1 : 0, a, b, k, gradIn.bytes()));
  }

  static native int bnBackwardInput(long rows, long channels, ByteBuffer gradOut, ByteBuffer x,
      float[] mean, float[] invScale, float[] gamma, float[] beta, int relu, double[] a,
      double[] b, double[] k, ByteBuffer gradIn);

  @Override
  protected void bnMaxPoolUnchecked(ConvDesc d, Float32Buffer x, BnAffine p, boolean relu,
      Float32Buffer pooled, Int32Buffer argmax) {
    check(bnMaxPool(window(d), x.bytes(), p.mean(), p.invScale(), p.gamma(), p.beta(),
        relu ? 1 : 0, pooled.bytes(), argmax.bytes()));
  }

  static native int bnMaxPool(int[] window, ByteBuffer x, float[] mean, float[] invScale,
      float[] gamma, float[] beta, int relu, ByteBuffer pooled, ByteBuffer argmax);

  @Override
  protected void bnMaxPoolBackwardSumsUnchecked(ConvDesc d, Float32Buffer gradPooled,
      Int32Buffer argmax, Float32Buffer x, BnAffine p, boolean relu, double[] sumG,
      double[] sumGh) {
    check(bnMaxPoolBackwardSums(window(d), gradPooled.bytes(), argmax.bytes(), x.bytes(),
        p.mean(), p.invScale(), p.gamma(), p.beta(), relu ? 1 : 0, sumG, sumGh));
  }

  static native int bnMaxPoolBackwardSums(int[] window, ByteBuffer gradPooled,
      ByteBuffer argmax, ByteBuffer x, float[] mean, float[] invScale, float[] gamma,
      float[] beta, int relu, double[] sumG, double[] sumGh);

  @Override
  protected void bnMaxPoolBackwardInputUnchecked(ConvDesc d, Float32Buffer gradPooled,
      Int32Buffer argmax, Float32Buffer x, BnAffine p, boolean relu, double[] a, double[] b,
      double[] k, Float32Buffer gradIn) {
    check(bnMaxPoolBackwardInput(window(d), gradPooled.bytes(), argmax.bytes(), x.bytes(),
        p.mean(), p.invScale(), p.gamma(), p.beta(), relu ? 1 : 0, a, b, k, gradIn.bytes()));
  }

  static native int bnMaxPoolBackwardInput(int[] window, ByteBuffer gradPooled,
      ByteBuffer argmax, ByteBuffer x, float[] mean, float[] invScale, float[] gamma,
      float[] beta, int relu, double[] a, double[] b, double[] k, ByteBuffer gradIn);

  @Override
  protected void bnMaxPoolBackwardMomentsUnchecked(ConvDesc conv, Float32Buffer image,
      int outChannels, int pool, Float32Buffer gradPooled, Int32Buffer argmax, Float32Buffer x,
      BnAffine p, boolean relu, StemMoments out) {
    check(bnMaxPoolBackwardMoments(window(conv), image.bytes(), outChannels, pool,
        gradPooled.bytes(), argmax.bytes(), x.bytes(), p.mean(), p.invScale(), p.gamma(), p.beta(),
        relu ? 1 : 0, out.values()));
  }

  static native int bnMaxPoolBackwardMoments(int[] window, ByteBuffer image, int outChannels,
      int pool, ByteBuffer gradPooled, ByteBuffer argmax, ByteBuffer x, float[] mean,
      float[] invScale, float[] gamma, float[] beta, int relu, double[] out);

  // ---- fp32 matrix glue ---------------------------------------------------------------------------

  @Override
  protected void columnSumsF32Unchecked(int rows, int cols, Float32Buffer m, float[] out) {
    check(columnSumsF32(rows, cols, m.bytes(), out));
  }

  static native int columnSumsF32(long rows, long cols, ByteBuffer m, float[] out);

  @Override
  protected void addRowVectorF32Unchecked(int rows, int cols, Float32Buffer m, float[] v) {
    check(addRowVectorF32(rows, cols, m.bytes(), v));
  }

  static native int addRowVectorF32(long rows, long cols, ByteBuffer m, float[] v);

  @Override
  protected void transposeF32Unchecked(int rows, int cols, Float32Buffer src, Float32Buffer dst) {
    check(transposeF32(rows, cols, src.bytes(), dst.bytes()));
  }

  static native int transposeF32(long rows, long cols, ByteBuffer src, ByteBuffer dst);

  @Override
  protected void transposeS8Unchecked(int rows, int cols, Int8Buffer src, Int8Buffer dst) {
    check(transposeS8(rows, cols, src.bytes(), dst.bytes()));
  }

  static native int transposeS8(long rows, long cols, ByteBuffer src, ByteBuffer dst);
}
