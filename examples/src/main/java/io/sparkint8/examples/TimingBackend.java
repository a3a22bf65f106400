package io.sparkint8.examples;

import io.sparkint8.examples.LayerProfiler.Kind;
import io.sparkint8.kernels.memory.Float32Buffer;
import io.sparkint8.kernels.memory.Int32Buffer;
import io.sparkint8.kernels.memory.Int8Buffer;
import io.sparkint8.kernels.memory.OffHeapAllocator;
import io.sparkint8.kernels.spi.Axis;
import io.sparkint8.kernels.spi.ConvDesc;
import io.sparkint8.kernels.spi.Epilogue;
import io.sparkint8.kernels.spi.GemmDesc;
import io.sparkint8.kernels.spi.Int8Backend;
import io.sparkint8.kernels.spi.PackedB;
import io.sparkint8.kernels.spi.QuantDesc;
import io.sparkint8.kernels.spi.Trans;
import java.util.function.Supplier;

/** A backend that times every kernel call and charges it to the profiler's current layer. */
final class TimingBackend implements Int8Backend {
  private final Int8Backend inner;
  private final LayerProfiler profiler;

  TimingBackend(Int8Backend inner, LayerProfiler profiler) {
    this.inner = inner;
    this.profiler = profiler;
  }

  private void time(Kind kind, Runnable call) {
    long t0 = System.nanoTime();
    call.run();
    profiler.charge(kind, System.nanoTime() - t0);
  }

  private <T> T time(Kind kind, Supplier<T> call) {
    long t0 = System.nanoTime();
    T result = call.get();
    profiler.charge(kind, System.nanoTime() - t0);
    return result;
  }

  @Override
  public String name() {
    return inner.name();
  }

  @Override
  public String isa() {
    return inner.isa();
  }

  @Override
  public int threads() {
    return inner.threads();
  }

  @Override
  public Int8Backend withThreads(int threads) {
    return new TimingBackend(inner.withThreads(threads), profiler);
  }

  @Override
  public void gemmS8S8S32(GemmDesc d, Int8Buffer a, Int8Buffer b, Int32Buffer c) {
    time(Kind.GEMM, () -> inner.gemmS8S8S32(d, a, b, c));
  }

  @Override
  public void gemmS8S8S32(GemmDesc d, Int8Buffer a, PackedB b, Int32Buffer c) {
    time(Kind.GEMM, () -> inner.gemmS8S8S32(d, a, b, c));
  }

  @Override
  public void gemmS8S8F32(GemmDesc d, Int8Buffer a, Int8Buffer b, Epilogue ep, Float32Buffer c) {
    time(Kind.GEMM, () -> inner.gemmS8S8F32(d, a, b, ep, c));
  }

  @Override
  public void gemmS8S8F32(GemmDesc d, Int8Buffer a, PackedB b, Epilogue ep, Float32Buffer c) {
    time(Kind.GEMM, () -> inner.gemmS8S8F32(d, a, b, ep, c));
  }

  @Override
  public PackedB packB(OffHeapAllocator allocator, Trans transB, int k, int n, int ldb,
      Int8Buffer b) {
    return time(Kind.GEMM, () -> inner.packB(allocator, transB, k, n, ldb, b));
  }

  @Override
  public void gemmF32(GemmDesc d, float alpha, Float32Buffer a, Float32Buffer b, float beta,
      Float32Buffer c) {
    time(Kind.GEMM, () -> inner.gemmF32(d, alpha, a, b, beta, c));
  }

  @Override
  public String gemmF32Route() {
    return inner.gemmF32Route();
  }

  @Override
  public void quantize(QuantDesc d, Float32Buffer src, Float32Buffer clip, Int8Buffer codes,
      Float32Buffer scales) {
    time(Kind.QUANTIZATION, () -> inner.quantize(d, src, clip, codes, scales));
  }

  @Override
  public void dequantize(QuantDesc d, Int8Buffer codes, Float32Buffer scales, Float32Buffer dst) {
    time(Kind.QUANTIZATION, () -> inner.dequantize(d, codes, scales, dst));
  }

  @Override
  public void absmax(int rows, int cols, Float32Buffer src, Axis axis, Float32Buffer out) {
    time(Kind.QUANTIZATION, () -> inner.absmax(rows, cols, src, axis, out));
  }

  @Override
  public void channelFractionAboveStd(int rows, int cols, Float32Buffer src, Float32Buffer out) {
    time(Kind.QUANTIZATION, () -> inner.channelFractionAboveStd(rows, cols, src, out));
  }

  @Override
  public double[] clipCosineDeviation(Float32Buffer src, int count, int bits, float[] cand) {
    return time(Kind.QUANTIZATION, () -> inner.clipCosineDeviation(src, count, bits, cand));
  }

  @Override
  public void im2col(ConvDesc d, Int8Buffer src, Int8Buffer cols) {
    time(Kind.OTHER_KERNEL, () -> inner.im2col(d, src, cols));
  }

  @Override
  public void im2col(ConvDesc d, Float32Buffer src, Float32Buffer cols) {
    time(Kind.OTHER_KERNEL, () -> inner.im2col(d, src, cols));
  }

  @Override
  public void col2im(ConvDesc d, Float32Buffer cols, Float32Buffer dst) {
    time(Kind.OTHER_KERNEL, () -> inner.col2im(d, cols, dst));
  }

  @Override
  public void col2im(ConvDesc d, Int32Buffer cols, Int32Buffer dst) {
    time(Kind.OTHER_KERNEL, () -> inner.col2im(d, cols, dst));
  }

  @Override
  public void maxPool(ConvDesc d, Int8Buffer src, Int8Buffer dst, Int32Buffer argmax) {
    time(Kind.OTHER_KERNEL, () -> inner.maxPool(d, src, dst, argmax));
  }

  @Override
  public void maxPoolF32(ConvDesc d, Float32Buffer src, Float32Buffer dst, Int32Buffer argmax) {
    time(Kind.OTHER_KERNEL, () -> inner.maxPoolF32(d, src, dst, argmax));
  }

  @Override
  public void maxPoolBackward(ConvDesc d, Float32Buffer gradOut, Int32Buffer argmax,
      Float32Buffer gradIn) {
    time(Kind.OTHER_KERNEL, () -> inner.maxPoolBackward(d, gradOut, argmax, gradIn));
  }

  @Override
  public void relu(int count, Int8Buffer src, Int8Buffer dst, Int8Buffer mask) {
    time(Kind.OTHER_KERNEL, () -> inner.relu(count, src, dst, mask));
  }

  @Override
  public void reluBackward(int count, Float32Buffer grad, Int8Buffer mask, Float32Buffer dst) {
    time(Kind.OTHER_KERNEL, () -> inner.reluBackward(count, grad, mask, dst));
  }

  @Override
  public void bnStatistics(
      int rows, int channels, Float32Buffer x, double[] mean, double[] m2, double[] absDev) {
    time(Kind.OTHER_KERNEL, () -> inner.bnStatistics(rows, channels, x, mean, m2, absDev));
  }

  @Override
  public void bnNormalize(
      int rows,
      int channels,
      Float32Buffer x,
      float[] mean,
      float[] invScale,
      float[] gamma,
      float[] beta,
      Float32Buffer xhat,
      Float32Buffer y) {
    time(
        Kind.OTHER_KERNEL,
        () -> inner.bnNormalize(rows, channels, x, mean, invScale, gamma, beta, xhat, y));
  }

  @Override
  public void bnBackwardSums(
      int rows, int channels, Float32Buffer gradOut, Float32Buffer xhat, double[] sumG,
      double[] sumGh) {
    time(Kind.OTHER_KERNEL, () -> inner.bnBackwardSums(rows, channels, gradOut, xhat, sumG, sumGh));
  }

  @Override
  public void bnBackwardInput(
      int rows,
      int channels,
      Float32Buffer gradOut,
      Float32Buffer xhat,
      double[] a,
      double[] b,
      double[] k,
      Float32Buffer gradIn) {
    time(
        Kind.OTHER_KERNEL,
        () -> inner.bnBackwardInput(rows, channels, gradOut, xhat, a, b, k, gradIn));
  }

  @Override
  public void columnSumsF32(int rows, int cols, Float32Buffer m, float[] out) {
    time(Kind.OTHER_KERNEL, () -> inner.columnSumsF32(rows, cols, m, out));
  }

  @Override
  public void addRowVectorF32(int rows, int cols, Float32Buffer m, float[] v) {
    time(Kind.OTHER_KERNEL, () -> inner.addRowVectorF32(rows, cols, m, v));
  }

  @Override
  public void transposeF32(int rows, int cols, Float32Buffer src, Float32Buffer dst) {
    time(Kind.OTHER_KERNEL, () -> inner.transposeF32(rows, cols, src, dst));
  }

  @Override
  public void reluF32(int count, Float32Buffer src, Float32Buffer dst) {
    time(Kind.OTHER_KERNEL, () -> inner.reluF32(count, src, dst));
  }

  @Override
  public void reluBackwardF32(int count, Float32Buffer grad, Float32Buffer y, Float32Buffer dst) {
    time(Kind.OTHER_KERNEL, () -> inner.reluBackwardF32(count, grad, y, dst));
  }
}
