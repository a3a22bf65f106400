package io.sparkint8.kernels.jni;

import io.sparkint8.kernels.memory.Float32Buffer;
import io.sparkint8.kernels.memory.Int32Buffer;
import io.sparkint8.kernels.memory.Int8Buffer;
import io.sparkint8.kernels.memory.OffHeapAllocator;
import io.sparkint8.kernels.memory.OffHeapBuffer;
import io.sparkint8.kernels.ref.JavaBackend;
import io.sparkint8.kernels.spi.AbstractBackend;
import io.sparkint8.kernels.spi.Axis;
import io.sparkint8.kernels.spi.ConvDesc;
import io.sparkint8.kernels.spi.Epilogue;
import io.sparkint8.kernels.spi.GemmDesc;
import io.sparkint8.kernels.spi.Int8Backend;
import io.sparkint8.kernels.spi.PackedB;
import io.sparkint8.kernels.spi.QuantDesc;
import io.sparkint8.kernels.spi.Trans;
import java.nio.ByteBuffer;

/**
 * The JNI backend: C kernels with a path per instruction set (scalar, AVX2, AVX-512 VNNI), the best the
 * CPU supports chosen at run time and capped by the environment variable {@code INT8K_MAX_ISA}. Results
 * equal {@link JavaBackend}'s bit for bit on every path and thread count, the fp32 GEMM included (its own
 * kernels, route "int8k-sgemm"; no system BLAS is loaded).
 */
public final class NativeBackend extends AbstractBackend {
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
    if (NativeKernels.selectedIsa() < 0) {
      return NativeKernels.lastError();
    }
    return null;
  }

  /** A single-threaded native backend; throws IllegalStateException with the reason if unavailable. */
  public static NativeBackend create() {
    String reason = unavailableReason();
    if (reason != null) {
      throw new IllegalStateException("int8.backend=native is unavailable: " + reason);
    }
    return new NativeBackend(1, NativeKernels.isaName(NativeKernels.selectedIsa()));
  }

  /** The best ISA of this CPU, ignoring INT8K_MAX_ISA (e.g. to tell a capped run from a weak CPU). */
  public static String cpuIsa() {
    create();
    return NativeKernels.isaName(NativeKernels.cpuIsa());
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

  private static void check(int status) {
    if (status == NativeKernels.OK) {
      return;
    }
    String message = NativeKernels.lastError();
    switch (status) {
      case NativeKernels.ERR_ARG:
        throw new IllegalArgumentException(message);
      case NativeKernels.ERR_NOMEM:
        throw new OutOfMemoryError(message);
      default:
        throw new IllegalStateException(message);
    }
  }

  private static ByteBuffer bytesOrNull(OffHeapBuffer b) {
    return b == null ? null : b.bytes();
  }

  @Override
  protected void gemmS8(
      GemmDesc d,
      Int8Buffer a,
      Int8Buffer b,
      PackedB packed,
      Epilogue ep,
      Int32Buffer c32,
      Float32Buffer cf) {
    boolean f32 = cf != null;
    check(
        NativeKernels.gemmS8(
            d.transA().code(),
            d.transB().code(),
            d.m(),
            d.n(),
            d.k(),
            d.lda(),
            d.ldb(),
            d.ldc(),
            threads(),
            a.bytes(),
            bytesOrNull(b),
            packed == null ? null : packed.data().bytes(),
            f32 ? cf.bytes() : c32.bytes(),
            f32,
            f32 ? ep.alpha() : 1f,
            f32 ? bytesOrNull(ep.rowScale()) : null,
            f32 ? bytesOrNull(ep.colScale()) : null,
            f32 ? bytesOrNull(ep.bias()) : null,
            f32 ? ep.beta() : 0f));
  }

  @Override
  protected PackedB pack(OffHeapAllocator allocator, Trans transB, int k, int n, int ldb, Int8Buffer b) {
    long size = NativeKernels.packedBSize(k, n);
    if (size < 0) {
      check(NativeKernels.ERR_ARG);
    }
    Int8Buffer data = allocator.allocateInt8(size);
    try {
      check(NativeKernels.packB(transB.code(), k, n, b.bytes(), ldb, data.bytes()));
    } catch (RuntimeException e) {
      data.close();
      throw e;
    }
    return new PackedB(data, k, n, name() + "/" + isa());
  }

  @Override
  protected void sgemm(GemmDesc d, float alpha, Float32Buffer a, Float32Buffer b, float beta,
      Float32Buffer c) {
    check(
        NativeKernels.gemmF32(
            d.transA().code(),
            d.transB().code(),
            d.m(),
            d.n(),
            d.k(),
            d.lda(),
            d.ldb(),
            d.ldc(),
            threads(),
            alpha,
            a.bytes(),
            b.bytes(),
            beta,
            c.bytes()));
  }

  @Override
  public String gemmF32Route() {
    return NativeKernels.gemmF32Route();
  }

  @Override
  protected void quantizeChecked(
      QuantDesc d, Float32Buffer src, Float32Buffer clip, Int8Buffer codes, Float32Buffer scales) {
    check(
        NativeKernels.quantize(
            d.rows(),
            d.cols(),
            d.bits(),
            d.granularity().code(),
            d.group(),
            d.rounding().code(),
            d.pow2(),
            d.seed(),
            d.stream(),
            src.bytes(),
            bytesOrNull(clip),
            codes.bytes(),
            scales.bytes()));
  }

  @Override
  protected void dequantizeChecked(QuantDesc d, Int8Buffer codes, Float32Buffer scales, Float32Buffer dst) {
    check(
        NativeKernels.dequantize(
            d.rows(),
            d.cols(),
            d.bits(),
            d.granularity().code(),
            d.group(),
            d.rounding().code(),
            d.pow2(),
            d.seed(),
            d.stream(),
            codes.bytes(),
            scales.bytes(),
            dst.bytes()));
  }

  @Override
  protected void absmaxChecked(int rows, int cols, Float32Buffer src, Axis axis, Float32Buffer out) {
    check(NativeKernels.absmax(rows, cols, src.bytes(), axis.code(), out.bytes()));
  }

  @Override
  protected void channelFractionChecked(int rows, int cols, Float32Buffer src, Float32Buffer out) {
    check(NativeKernels.channelFractionAboveStd(rows, cols, src.bytes(), out.bytes()));
  }

  @Override
  protected double[] clipDeviationChecked(Float32Buffer src, int count, int bits, float[] cand) {
    double[] out = new double[cand.length];
    check(NativeKernels.clipCosineDeviation(count, src.bytes(), bits, cand, out));
    return out;
  }

  @Override
  protected void window(WindowOp op, ConvDesc d, OffHeapBuffer src, OffHeapBuffer dst, Int32Buffer argmax) {
    check(
        NativeKernels.window(
            op.ordinal(),
            d.n(),
            d.h(),
            d.w(),
            d.c(),
            d.kh(),
            d.kw(),
            d.strideH(),
            d.strideW(),
            d.padH(),
            d.padW(),
            src.bytes(),
            dst.bytes(),
            bytesOrNull(argmax)));
  }

  @Override
  protected void reluChecked(int count, Int8Buffer src, Int8Buffer dst, Int8Buffer mask) {
    check(NativeKernels.relu(count, src.bytes(), dst.bytes(), mask.bytes()));
  }

  @Override
  protected void reluBackwardChecked(int count, Float32Buffer grad, Int8Buffer mask, Float32Buffer dst) {
    check(NativeKernels.reluBackward(count, grad.bytes(), mask.bytes(), dst.bytes()));
  }

  @Override
  protected void bnStatisticsChecked(
      int rows, int channels, Float32Buffer x, double[] mean, double[] m2, double[] absDev) {
    check(NativeKernels.bnStatistics(rows, channels, x.bytes(), mean, m2, absDev));
  }

  @Override
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
    check(
        NativeKernels.bnNormalize(
            rows, channels, x.bytes(), mean, invScale, gamma, beta,
            xhat == null ? null : xhat.bytes(), y.bytes()));
  }

  @Override
  protected void bnBackwardSumsChecked(
      int rows, int channels, Float32Buffer gradOut, Float32Buffer xhat, double[] sumG,
      double[] sumGh) {
    check(NativeKernels.bnBackwardSums(rows, channels, gradOut.bytes(), xhat.bytes(), sumG, sumGh));
  }

  @Override
  protected void bnBackwardInputChecked(
      int rows,
      int channels,
      Float32Buffer gradOut,
      Float32Buffer xhat,
      double[] a,
      double[] b,
      double[] k,
      Float32Buffer gradIn) {
    check(
        NativeKernels.bnBackwardInput(
            rows, channels, gradOut.bytes(), xhat.bytes(), a, b, k, gradIn.bytes()));
  }

  @Override
  protected void columnSumsF32Checked(int rows, int cols, Float32Buffer m, float[] out) {
    check(NativeKernels.columnSumsF32(rows, cols, m.bytes(), out));
  }

  @Override
  protected void addRowVectorF32Checked(int rows, int cols, Float32Buffer m, float[] v) {
    check(NativeKernels.addRowVectorF32(rows, cols, m.bytes(), v));
  }

  @Override
  protected void transposeF32Checked(int rows, int cols, Float32Buffer src, Float32Buffer dst) {
    check(NativeKernels.transposeF32(rows, cols, src.bytes(), dst.bytes()));
  }

  @Override
  protected void reluF32Checked(int count, Float32Buffer src, Float32Buffer dst) {
    check(NativeKernels.reluF32(count, src.bytes(), dst.bytes()));
  }

  @Override
  protected void reluBackwardF32Checked(int count, Float32Buffer grad, Float32Buffer y, Float32Buffer dst) {
    check(NativeKernels.reluBackwardByOutputF32(count, grad.bytes(), y.bytes(), dst.bytes()));
  }
}
