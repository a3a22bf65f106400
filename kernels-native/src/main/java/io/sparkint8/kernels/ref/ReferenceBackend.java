package io.sparkint8.kernels.ref;

import io.sparkint8.kernels.memory.Float32Buffer;
import io.sparkint8.kernels.memory.Int32Buffer;
import io.sparkint8.kernels.memory.Int8Buffer;
import io.sparkint8.kernels.memory.OffHeapAllocator;
import io.sparkint8.kernels.spi.AbstractBackend;
import io.sparkint8.kernels.spi.Axis;
import io.sparkint8.kernels.spi.BnAffine;
import io.sparkint8.kernels.spi.ConvDesc;
import io.sparkint8.kernels.spi.Epilogue;
import io.sparkint8.kernels.spi.GemmDesc;
import io.sparkint8.kernels.spi.PackedB;
import io.sparkint8.kernels.spi.QuantDesc;
import io.sparkint8.kernels.spi.StemMoments;
import io.sparkint8.kernels.spi.Trans;

/**
 * Every operation hook run by the reference of its family on the host buffers, and nothing else. {@link
 * JavaBackend} is this; a backend with kernels of its own for some operations only (the CUDA backend)
 * extends it and overrides those, so that the others still compute, on the host, exactly the reference.
 * A backend that must implement every operation itself (the native one) extends {@link AbstractBackend}
 * instead, whose hooks are abstract.
 */
public abstract class ReferenceBackend extends AbstractBackend {

  protected ReferenceBackend(int threads) {
    super(threads);
  }

  // ---- GEMM ---------------------------------------------------------------------------------------

  @Override
  protected void gemmS8S8S32Unchecked(GemmDesc d, Int8Buffer a, Int8Buffer b, Int32Buffer c) {
    GemmReference.gemmS8S8S32(d, a, b, c);
  }

  @Override
  protected void gemmS8S8S32Unchecked(GemmDesc d, Int8Buffer a, PackedB b, Int32Buffer c) {
    GemmReference.gemmS8S8S32(d, a, b, c);
  }

  @Override
  protected void gemmS8S8F32Unchecked(
      GemmDesc d, Int8Buffer a, Int8Buffer b, Epilogue ep, Float32Buffer c) {
    GemmReference.gemmS8S8F32(d, a, b, ep, c);
  }

  @Override
  protected void gemmS8S8F32Unchecked(
      GemmDesc d, Int8Buffer a, PackedB b, Epilogue ep, Float32Buffer c) {
    GemmReference.gemmS8S8F32(d, a, b, ep, c);
  }

  @Override
  protected PackedB packBUnchecked(
      OffHeapAllocator allocator, Trans transB, int k, int n, int ldb, Int8Buffer b) {
    return GemmReference.packB(allocator, transB, k, n, ldb, b, packer());
  }

  @Override
  protected void gemmF32Unchecked(
      GemmDesc d, float alpha, Float32Buffer a, Float32Buffer b, float beta, Float32Buffer c) {
    GemmReference.gemmF32(d, alpha, a, b, beta, c);
  }

  // ---- quantization and statistics ----------------------------------------------------------------

  @Override
  protected void quantizeUnchecked(
      QuantDesc d, Float32Buffer src, Float32Buffer clip, Int8Buffer codes, Float32Buffer scales) {
    QuantizeReference.quantize(d, src, clip, codes, scales);
  }

  @Override
  protected void quantizeTransposedUnchecked(
      QuantDesc d, Float32Buffer srcT, Float32Buffer clip, Int8Buffer codes, Float32Buffer scales) {
    QuantizeReference.quantizeTransposed(d, srcT, clip, codes, scales);
  }

  @Override
  protected void shiftQuantizeUnchecked(QuantDesc d, Float32Buffer src, Float32Buffer rowClip,
      Int8Buffer codes, Int32Buffer exponents) {
    ShiftQuantReference.shiftQuantize(d, src, rowClip, codes, exponents);
  }

  @Override
  protected void gemmShiftS8S8F32Unchecked(GemmDesc d, Int8Buffer a, Int8Buffer b, int group,
      Int32Buffer exponents, float alpha, Float32Buffer c) {
    ShiftQuantReference.gemmShiftS8S8F32(d, a, b, group, exponents, alpha, c);
  }

  @Override
  protected void dequantizeUnchecked(
      QuantDesc d, Int8Buffer codes, Float32Buffer scales, Float32Buffer dst) {
    QuantizeReference.dequantize(d, codes, scales, dst);
  }

  @Override
  protected void absmaxUnchecked(
      int rows, int cols, Float32Buffer src, Axis axis, Float32Buffer out) {
    StatisticsReference.absmax(rows, cols, src, axis, out);
  }

  @Override
  protected void channelFractionAboveStdUnchecked(
      int rows, int cols, Float32Buffer src, Float32Buffer out) {
    StatisticsReference.channelFractionAboveStd(rows, cols, src, out);
  }

  @Override
  protected double[] clipCosineSumsUnchecked(
      Float32Buffer src, int count, int bits, float[] candidates) {
    return StatisticsReference.clipCosineSums(src, count, bits, candidates);
  }

  @Override
  protected void quantizeTransposedBothUnchecked(QuantDesc d, Float32Buffer srcT,
      Float32Buffer clip, Int8Buffer codes, Int8Buffer codesT, Float32Buffer scales) {
    QuantizeReference.quantizeTransposedBoth(d, srcT, clip, codes, codesT, scales);
  }

  // ---- windows ------------------------------------------------------------------------------------

  @Override
  protected void im2colUnchecked(ConvDesc d, Int8Buffer src, Int8Buffer cols) {
    WindowReference.im2col(d, src, cols);
  }

  @Override
  protected void im2colUnchecked(ConvDesc d, Float32Buffer src, Float32Buffer cols) {
    WindowReference.im2col(d, src, cols);
  }

  @Override
  protected void col2imUnchecked(ConvDesc d, Float32Buffer cols, Float32Buffer dst) {
    WindowReference.col2im(d, cols, dst);
  }

  @Override
  protected void col2imUnchecked(ConvDesc d, Int32Buffer cols, Int32Buffer dst) {
    WindowReference.col2im(d, cols, dst);
  }

  @Override
  protected void maxPoolUnchecked(ConvDesc d, Int8Buffer src, Int8Buffer dst, Int32Buffer argmax) {
    WindowReference.maxPool(d, src, dst, argmax);
  }

  @Override
  protected void maxPoolF32Unchecked(
      ConvDesc d, Float32Buffer src, Float32Buffer dst, Int32Buffer argmax) {
    WindowReference.maxPoolF32(d, src, dst, argmax);
  }

  @Override
  protected void maxPoolBackwardUnchecked(
      ConvDesc d, Float32Buffer gradOut, Int32Buffer argmax, Float32Buffer gradIn) {
    WindowReference.maxPoolBackward(d, gradOut, argmax, gradIn);
  }

  // ---- activations --------------------------------------------------------------------------------

  @Override
  protected void reluUnchecked(int count, Int8Buffer src, Int8Buffer dst, Int8Buffer mask) {
    ActivationReference.relu(count, src, dst, mask);
  }

  @Override
  protected void reluBackwardUnchecked(
      int count, Float32Buffer grad, Int8Buffer mask, Float32Buffer dst) {
    ActivationReference.reluBackward(count, grad, mask, dst);
  }

  @Override
  protected void convS8DirectUnchecked(ConvDesc d, Int8Buffer src, Int8Buffer wei, int outChannels,
      Epilogue ep, Float32Buffer dst) {
    ConvDirectReference.convS8Direct(d, src, wei, outChannels, ep, dst);
  }

  @Override
  protected void convS8DirectSumsUnchecked(ConvDesc d, Int8Buffer src, Int8Buffer wei,
      int outChannels, Epilogue ep, Float32Buffer dst, double[] columnSums) {
    ConvDirectReference.convS8Direct(d, src, wei, outChannels, ep, dst);
    NormalizationReference.columnSums(d.colRows(), outChannels, dst, columnSums);
  }

  @Override
  protected void convGradWeightF32DirectUnchecked(ConvDesc d, Float32Buffer src,
      Float32Buffer gradOut, int outChannels, Float32Buffer gradWeight, float[] gradBias) {
    ConvDirectReference.convGradWeightF32Direct(d, src, gradOut, outChannels, gradWeight, gradBias);
  }

  @Override
  protected void reluF32Unchecked(int count, Float32Buffer src, Float32Buffer dst) {
    ActivationReference.reluF32(count, src, dst);
  }

  @Override
  protected void reluBackwardF32Unchecked(
      int count, Float32Buffer grad, Float32Buffer y, Float32Buffer dst) {
    ActivationReference.reluBackwardF32(count, grad, y, dst);
  }

  // ---- batch normalization ------------------------------------------------------------------------

  @Override
  protected void bnStatisticsUnchecked(
      int rows, int channels, Float32Buffer x, double[] mean, double[] m2, double[] absDev) {
    NormalizationReference.bnStatistics(rows, channels, x, mean, m2, absDev);
  }

  @Override
  protected void bnDeviationsUnchecked(
      int rows, int channels, Float32Buffer x, double[] mean, double[] m2, double[] absDev) {
    NormalizationReference.bnDeviations(rows, channels, x, mean, m2, absDev);
  }

  @Override
  protected void bnNormalizeUnchecked(
      int rows, int channels, Float32Buffer x, BnAffine affine, boolean relu, Float32Buffer y) {
    NormalizationReference.bnNormalize(rows, channels, x, affine, relu, y);
  }

  @Override
  protected void bnBackwardSumsUnchecked(
      int rows,
      int channels,
      Float32Buffer gradOut,
      Float32Buffer x,
      BnAffine affine,
      boolean relu,
      double[] sumG,
      double[] sumGh) {
    NormalizationReference.bnBackwardSums(rows, channels, gradOut, x, affine, relu, sumG, sumGh);
  }

  @Override
  protected void bnBackwardInputUnchecked(
      int rows,
      int channels,
      Float32Buffer gradOut,
      Float32Buffer x,
      BnAffine affine,
      boolean relu,
      double[] a,
      double[] b,
      double[] k,
      Float32Buffer gradIn) {
    NormalizationReference.bnBackwardInput(
        rows, channels, gradOut, x, affine, relu, a, b, k, gradIn);
  }

  @Override
  protected void bnMaxPoolUnchecked(ConvDesc d, Float32Buffer x, BnAffine affine, boolean relu,
      Float32Buffer pooled, Int32Buffer argmax) {
    PooledNormalizationReference.bnMaxPool(d, x, affine, relu, pooled, argmax);
  }

  @Override
  protected void bnMaxPoolBackwardSumsUnchecked(ConvDesc d, Float32Buffer gradPooled,
      Int32Buffer argmax, Float32Buffer x, BnAffine affine, boolean relu, double[] sumG,
      double[] sumGh) {
    PooledNormalizationReference.bnMaxPoolBackwardSums(
        d, gradPooled, argmax, x, affine, relu, sumG, sumGh);
  }

  @Override
  protected void bnMaxPoolBackwardInputUnchecked(ConvDesc d, Float32Buffer gradPooled,
      Int32Buffer argmax, Float32Buffer x, BnAffine affine, boolean relu, double[] a, double[] b,
      double[] k, Float32Buffer gradIn) {
    PooledNormalizationReference.bnMaxPoolBackwardInput(
        d, gradPooled, argmax, x, affine, relu, a, b, k, gradIn);
  }

  @Override
  protected void bnMaxPoolBackwardMomentsUnchecked(ConvDesc conv, Float32Buffer image,
      int outChannels, int pool, Float32Buffer gradPooled, Int32Buffer argmax, Float32Buffer x,
      BnAffine affine, boolean relu, StemMoments out) {
    StemBackwardReference.bnMaxPoolBackwardMoments(conv, image, outChannels, pool, gradPooled,
        argmax, x, affine, relu, out);
  }

  // ---- fp32 matrix glue ---------------------------------------------------------------------------

  @Override
  protected void columnSumsF32Unchecked(int rows, int cols, Float32Buffer m, float[] out) {
    MatrixGlueReference.columnSumsF32(rows, cols, m, out);
  }

  @Override
  protected void addRowVectorF32Unchecked(int rows, int cols, Float32Buffer m, float[] v) {
    MatrixGlueReference.addRowVectorF32(rows, cols, m, v);
  }

  @Override
  protected void transposeF32Unchecked(int rows, int cols, Float32Buffer src, Float32Buffer dst) {
    MatrixGlueReference.transposeF32(rows, cols, src, dst);
  }

  @Override
  protected void transposeS8Unchecked(int rows, int cols, Int8Buffer src, Int8Buffer dst) {
    MatrixGlueReference.transposeS8(rows, cols, src, dst);
  }
}
