package io.sparkint8.kernels.spi;

import io.sparkint8.kernels.memory.Float32Buffer;
import io.sparkint8.kernels.memory.Int32Buffer;
import io.sparkint8.kernels.memory.Int8Buffer;
import io.sparkint8.kernels.memory.OffHeapAllocator;

/**
 * The base of every backend, with one pattern for every operation: the public {@code final} method
 * checks its arguments once (with {@link Checks}) and calls the {@code protected abstract} hook of the
 * same name suffixed {@code Unchecked}, which a backend implements and which receives valid arguments
 * only. Being abstract, a hook cannot be forgotten: a backend without a kernel of its own for an
 * operation says so by running the pure-Java reference itself.
 */
public abstract class AbstractBackend implements Int8Backend {
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

  /** "name/isa": who made a {@link PackedB}, and who may use it. */
  protected final String packer() {
    return name() + "/" + isa();
  }

  @Override
  public String toString() {
    return name() + "/" + isa() + " (" + threads + " thread" + (threads == 1 ? ")" : "s)");
  }

  // ---- GEMM ---------------------------------------------------------------------------------------

  @Override
  public final void gemmS8S8S32(GemmDesc d, Int8Buffer a, Int8Buffer b, Int32Buffer c) {
    Checks.gemm(d, a, b, c);
    gemmS8S8S32Unchecked(d, a, b, c);
  }

  protected abstract void gemmS8S8S32Unchecked(
      GemmDesc d, Int8Buffer a, Int8Buffer b, Int32Buffer c);

  @Override
  public final void gemmS8S8S32(GemmDesc d, Int8Buffer a, PackedB b, Int32Buffer c) {
    Checks.gemmPacked(d, a, b, c, packer());
    gemmS8S8S32Unchecked(d, a, b, c);
  }

  protected abstract void gemmS8S8S32Unchecked(GemmDesc d, Int8Buffer a, PackedB b, Int32Buffer c);

  @Override
  public final void gemmS8S8F32(
      GemmDesc d, Int8Buffer a, Int8Buffer b, Epilogue ep, Float32Buffer c) {
    Checks.gemm(d, a, b, c);
    Checks.epilogue(d, ep);
    gemmS8S8F32Unchecked(d, a, b, ep, c);
  }

  protected abstract void gemmS8S8F32Unchecked(
      GemmDesc d, Int8Buffer a, Int8Buffer b, Epilogue ep, Float32Buffer c);

  @Override
  public final void gemmS8S8F32(GemmDesc d, Int8Buffer a, PackedB b, Epilogue ep, Float32Buffer c) {
    Checks.gemmPacked(d, a, b, c, packer());
    Checks.epilogue(d, ep);
    gemmS8S8F32Unchecked(d, a, b, ep, c);
  }

  protected abstract void gemmS8S8F32Unchecked(
      GemmDesc d, Int8Buffer a, PackedB b, Epilogue ep, Float32Buffer c);

  @Override
  public final void gemmShiftS8S8F32(GemmDesc d, Int8Buffer a, Int8Buffer b, int group,
      Int32Buffer exponents, float alpha, Float32Buffer c) {
    Checks.gemm(d, a, b, c);
    Checks.shiftGemm(d, group, alpha);
    Checks.buffer(exponents, (long) d.m() * ShiftQuant.groupsPerRow(d.k(), group), "exponents");
    gemmShiftS8S8F32Unchecked(d, a, b, group, exponents, alpha, c);
  }

  /** Still checks the data: a row's exponents spread beyond {@link ShiftQuant#SPAN} throws. */
  protected abstract void gemmShiftS8S8F32Unchecked(GemmDesc d, Int8Buffer a, Int8Buffer b,
      int group, Int32Buffer exponents, float alpha, Float32Buffer c);

  @Override
  public final PackedB packB(
      OffHeapAllocator allocator, Trans transB, int k, int n, int ldb, Int8Buffer b) {
    Checks.packB(allocator, transB, k, n, ldb, b);
    return packBUnchecked(allocator, transB, k, n, ldb, b);
  }

  /** Packs into a buffer of {@code allocator}; the result's packedBy is {@link #packer()}. */
  protected abstract PackedB packBUnchecked(
      OffHeapAllocator allocator, Trans transB, int k, int n, int ldb, Int8Buffer b);

  @Override
  public final void gemmF32(
      GemmDesc d, float alpha, Float32Buffer a, Float32Buffer b, float beta, Float32Buffer c) {
    Checks.gemm(d, a, b, c);
    gemmF32Unchecked(d, alpha, a, b, beta, c);
  }

  protected abstract void gemmF32Unchecked(
      GemmDesc d, float alpha, Float32Buffer a, Float32Buffer b, float beta, Float32Buffer c);

  // ---- quantization -------------------------------------------------------------------------------

  @Override
  public final void quantize(
      QuantDesc d, Float32Buffer src, Float32Buffer clip, Int8Buffer codes, Float32Buffer scales) {
    Checks.descriptor(d, "quant descriptor");
    Checks.buffer(src, d.count(), "src");
    Checks.optionalBuffer(clip, d.groups(), "clip");
    Checks.buffer(codes, d.count(), "codes");
    Checks.buffer(scales, d.groups(), "scales");
    quantizeUnchecked(d, src, clip, codes, scales);
  }

  /** Still checks the data: a non-finite group or clip value throws (see {@link Checks}). */
  protected abstract void quantizeUnchecked(
      QuantDesc d, Float32Buffer src, Float32Buffer clip, Int8Buffer codes, Float32Buffer scales);

  @Override
  public final void quantizeTransposed(
      QuantDesc d, Float32Buffer srcT, Float32Buffer clip, Int8Buffer codes, Float32Buffer scales) {
    Checks.descriptor(d, "quant descriptor");
    if (d.granularity() == Granularity.PER_GROUP) {
      throw new IllegalArgumentException("quantizeTransposed: granularity " + d.granularity()
          + ", expected PER_TENSOR or PER_ROW");
    }
    Checks.buffer(srcT, d.count(), "srcT");
    Checks.buffer(clip, d.groups(), "clip");
    Checks.buffer(codes, d.count(), "codes");
    Checks.buffer(scales, d.groups(), "scales");
    Checks.distinct(srcT, codes, "quantizeTransposed");
    quantizeTransposedUnchecked(d, srcT, clip, codes, scales);
  }

  /** Still checks the data, as {@link #quantizeUnchecked} does. */
  protected abstract void quantizeTransposedUnchecked(
      QuantDesc d, Float32Buffer srcT, Float32Buffer clip, Int8Buffer codes, Float32Buffer scales);

  @Override
  public final void shiftQuantize(QuantDesc d, Float32Buffer src, Float32Buffer rowClip,
      Int8Buffer codes, Int32Buffer exponents) {
    Checks.descriptor(d, "quant descriptor");
    Checks.shiftQuantDesc(d);
    Checks.buffer(src, d.count(), "src");
    Checks.optionalBuffer(rowClip, d.rows(), "rowClip");
    Checks.buffer(codes, d.count(), "codes");
    Checks.buffer(exponents, d.groups(), "exponents");
    shiftQuantizeUnchecked(d, src, rowClip, codes, exponents);
  }

  /** Still checks the data, as {@link #quantizeUnchecked} does. */
  protected abstract void shiftQuantizeUnchecked(QuantDesc d, Float32Buffer src,
      Float32Buffer rowClip, Int8Buffer codes, Int32Buffer exponents);

  @Override
  public final void dequantize(
      QuantDesc d, Int8Buffer codes, Float32Buffer scales, Float32Buffer dst) {
    Checks.descriptor(d, "quant descriptor");
    Checks.buffer(codes, d.count(), "codes");
    Checks.buffer(scales, d.groups(), "scales");
    Checks.buffer(dst, d.count(), "dst");
    dequantizeUnchecked(d, codes, scales, dst);
  }

  protected abstract void dequantizeUnchecked(
      QuantDesc d, Int8Buffer codes, Float32Buffer scales, Float32Buffer dst);

  @Override
  public final void quantizeTransposedBoth(QuantDesc d, Float32Buffer srcT, Float32Buffer clip,
      Int8Buffer codes, Int8Buffer codesT, Float32Buffer scales) {
    Checks.descriptor(d, "quant descriptor");
    if (d.granularity() == Granularity.PER_GROUP) {
      throw new IllegalArgumentException("quantizeTransposedBoth: granularity " + d.granularity()
          + ", expected PER_TENSOR or PER_ROW");
    }
    Checks.buffer(srcT, d.count(), "srcT");
    Checks.buffer(clip, d.groups(), "clip");
    Checks.buffer(codes, d.count(), "codes");
    Checks.buffer(codesT, d.count(), "codesT");
    Checks.buffer(scales, d.groups(), "scales");
    Checks.distinct(srcT, codes, "quantizeTransposedBoth");
    Checks.distinct(srcT, codesT, "quantizeTransposedBoth");
    Checks.distinct(codes, codesT, "quantizeTransposedBoth");
    quantizeTransposedBothUnchecked(d, srcT, clip, codes, codesT, scales);
  }

  /** Still checks the data, as {@link #quantizeUnchecked} does. */
  protected abstract void quantizeTransposedBothUnchecked(QuantDesc d, Float32Buffer srcT,
      Float32Buffer clip, Int8Buffer codes, Int8Buffer codesT, Float32Buffer scales);

  // ---- statistics ---------------------------------------------------------------------------------

  @Override
  public final void absmax(int rows, int cols, Float32Buffer src, Axis axis, Float32Buffer out) {
    Checks.matrix(rows, cols, "absmax");
    Checks.descriptor(axis, "axis");
    Checks.buffer(src, (long) rows * cols, "src");
    Checks.buffer(out, axis.outputs(rows, cols), "out");
    absmaxUnchecked(rows, cols, src, axis, out);
  }

  protected abstract void absmaxUnchecked(
      int rows, int cols, Float32Buffer src, Axis axis, Float32Buffer out);

  @Override
  public final void channelFractionAboveStd(
      int rows, int cols, Float32Buffer src, Float32Buffer out) {
    Checks.matrix(rows, cols, "channelFractionAboveStd");
    Checks.buffer(src, (long) rows * cols, "src");
    Checks.buffer(out, cols, "out");
    channelFractionAboveStdUnchecked(rows, cols, src, out);
  }

  protected abstract void channelFractionAboveStdUnchecked(
      int rows, int cols, Float32Buffer src, Float32Buffer out);

  @Override
  public final double[] clipCosineDeviation(
      Float32Buffer src, int count, int bits, float[] candidates) {
    double[] sums = clipCosineSums(src, count, bits, candidates);
    int n = candidates.length;
    double[] out = new double[n];
    for (int i = 0; i < n; i++) {
      out[i] = Int8Backend.cosineDeviation(sums[i], sums[n + i], sums[2 * n]);
    }
    return out;
  }

  @Override
  public final double[] clipCosineSums(
      Float32Buffer src, int count, int bits, float[] candidates) {
    Checks.count(count, "clipCosineSums");
    Checks.buffer(src, count, "src");
    Checks.clipCandidates(bits, candidates);
    return clipCosineSumsUnchecked(src, count, bits, candidates.clone());
  }

  /** {@code candidates} is the hook's own copy; returns 2 n + 1 sums. */
  protected abstract double[] clipCosineSumsUnchecked(
      Float32Buffer src, int count, int bits, float[] candidates);

  // ---- windows (NHWC) -----------------------------------------------------------------------------

  @Override
  public final void im2col(ConvDesc d, Int8Buffer src, Int8Buffer cols) {
    Checks.im2col(d, src, cols);
    im2colUnchecked(d, src, cols);
  }

  protected abstract void im2colUnchecked(ConvDesc d, Int8Buffer src, Int8Buffer cols);

  @Override
  public final void im2col(ConvDesc d, Float32Buffer src, Float32Buffer cols) {
    Checks.im2col(d, src, cols);
    im2colUnchecked(d, src, cols);
  }

  protected abstract void im2colUnchecked(ConvDesc d, Float32Buffer src, Float32Buffer cols);

  @Override
  public final void col2im(ConvDesc d, Float32Buffer cols, Float32Buffer dst) {
    Checks.col2im(d, cols, dst);
    col2imUnchecked(d, cols, dst);
  }

  protected abstract void col2imUnchecked(ConvDesc d, Float32Buffer cols, Float32Buffer dst);

  @Override
  public final void col2im(ConvDesc d, Int32Buffer cols, Int32Buffer dst) {
    Checks.col2im(d, cols, dst);
    col2imUnchecked(d, cols, dst);
  }

  protected abstract void col2imUnchecked(ConvDesc d, Int32Buffer cols, Int32Buffer dst);

  @Override
  public final void maxPool(ConvDesc d, Int8Buffer src, Int8Buffer dst, Int32Buffer argmax) {
    Checks.maxPool(d, src, dst, argmax);
    maxPoolUnchecked(d, src, dst, argmax);
  }

  protected abstract void maxPoolUnchecked(
      ConvDesc d, Int8Buffer src, Int8Buffer dst, Int32Buffer argmax);

  @Override
  public final void maxPoolF32(
      ConvDesc d, Float32Buffer src, Float32Buffer dst, Int32Buffer argmax) {
    Checks.maxPool(d, src, dst, argmax);
    maxPoolF32Unchecked(d, src, dst, argmax);
  }

  protected abstract void maxPoolF32Unchecked(
      ConvDesc d, Float32Buffer src, Float32Buffer dst, Int32Buffer argmax);

  @Override
  public final void maxPoolBackward(
      ConvDesc d, Float32Buffer gradOut, Int32Buffer argmax, Float32Buffer gradIn) {
    Checks.pooling(d);
    Checks.buffer(gradOut, d.pooledSize(), "gradOut");
    Checks.buffer(argmax, d.pooledSize(), "argmax");
    Checks.buffer(gradIn, d.inputSize(), "gradIn");
    maxPoolBackwardUnchecked(d, gradOut, argmax, gradIn);
  }

  /** Still checks the data: an argmax outside the input throws (see {@link Checks#argmax}). */
  protected abstract void maxPoolBackwardUnchecked(
      ConvDesc d, Float32Buffer gradOut, Int32Buffer argmax, Float32Buffer gradIn);

  // ---- activations --------------------------------------------------------------------------------

  @Override
  public final void relu(int count, Int8Buffer src, Int8Buffer dst, Int8Buffer mask) {
    Checks.count(count, "relu");
    Checks.buffer(src, count, "src");
    Checks.buffer(dst, count, "dst");
    Checks.buffer(mask, count, "mask");
    reluUnchecked(count, src, dst, mask);
  }

  protected abstract void reluUnchecked(int count, Int8Buffer src, Int8Buffer dst, Int8Buffer mask);

  @Override
  public final void reluBackward(
      int count, Float32Buffer grad, Int8Buffer mask, Float32Buffer dst) {
    Checks.count(count, "reluBackward");
    Checks.buffer(grad, count, "grad");
    Checks.buffer(mask, count, "mask");
    Checks.buffer(dst, count, "dst");
    reluBackwardUnchecked(count, grad, mask, dst);
  }

  protected abstract void reluBackwardUnchecked(
      int count, Float32Buffer grad, Int8Buffer mask, Float32Buffer dst);

  @Override
  public final void convS8Direct(ConvDesc d, Int8Buffer src, Int8Buffer wei, int outChannels,
      Epilogue ep, Float32Buffer dst) {
    checkDirectForward("convS8Direct", d, src, wei, outChannels, ep, dst);
    convS8DirectUnchecked(d, src, wei, outChannels, ep, dst);
  }

  /** The operands of a direct convolution's forward (convS8Direct, convS8DirectSums). */
  private static void checkDirectForward(String op, ConvDesc d, Int8Buffer src, Int8Buffer wei,
      int outChannels, Epilogue ep, Float32Buffer dst) {
    Checks.directConv(d, outChannels, op);
    Checks.buffer(src, d.inputSize(), "src");
    Checks.buffer(wei, (long) outChannels * d.colCols(), "wei");
    Checks.epilogue(GemmDesc.of(Trans.N, Trans.T, d.colRows(), outChannels, d.colCols()), ep);
    Checks.buffer(dst, (long) d.colRows() * outChannels, "dst");
  }

  protected abstract void convS8DirectUnchecked(ConvDesc d, Int8Buffer src, Int8Buffer wei,
      int outChannels, Epilogue ep, Float32Buffer dst);

  @Override
  public final void convS8DirectSums(ConvDesc d, Int8Buffer src, Int8Buffer wei, int outChannels,
      Epilogue ep, Float32Buffer dst, double[] columnSums) {
    String op = "convS8DirectSums";
    checkDirectForward(op, d, src, wei, outChannels, ep, dst);
    Checks.perChannel(columnSums, outChannels, "columnSums", op);
    convS8DirectSumsUnchecked(d, src, wei, outChannels, ep, dst, columnSums);
  }

  protected abstract void convS8DirectSumsUnchecked(ConvDesc d, Int8Buffer src, Int8Buffer wei,
      int outChannels, Epilogue ep, Float32Buffer dst, double[] columnSums);

  @Override
  public final void convGradWeightF32Direct(ConvDesc d, Float32Buffer src, Float32Buffer gradOut,
      int outChannels, Float32Buffer gradWeight, float[] gradBias) {
    String op = "convGradWeightF32Direct";
    Checks.directConv(d, outChannels, op);
    Checks.buffer(src, d.inputSize(), "src");
    Checks.buffer(gradOut, (long) d.colRows() * outChannels, "gradOut");
    Checks.buffer(gradWeight, (long) outChannels * d.colCols(), "gradWeight");
    if (gradBias != null) {
      Checks.perChannel(gradBias, outChannels, "gradBias", op);
    }
    Checks.distinct(gradOut, gradWeight, op);
    Checks.distinct(src, gradWeight, op);
    convGradWeightF32DirectUnchecked(d, src, gradOut, outChannels, gradWeight, gradBias);
  }

  protected abstract void convGradWeightF32DirectUnchecked(ConvDesc d, Float32Buffer src,
      Float32Buffer gradOut, int outChannels, Float32Buffer gradWeight, float[] gradBias);

  @Override
  public final void reluF32(int count, Float32Buffer src, Float32Buffer dst) {
    Checks.count(count, "reluF32");
    Checks.buffer(src, count, "src");
    Checks.buffer(dst, count, "dst");
    reluF32Unchecked(count, src, dst);
  }

  protected abstract void reluF32Unchecked(int count, Float32Buffer src, Float32Buffer dst);

  @Override
  public final void reluBackwardF32(
      int count, Float32Buffer grad, Float32Buffer y, Float32Buffer dst) {
    Checks.count(count, "reluBackwardF32");
    Checks.buffer(grad, count, "grad");
    Checks.buffer(y, count, "y");
    Checks.buffer(dst, count, "dst");
    reluBackwardF32Unchecked(count, grad, y, dst);
  }

  protected abstract void reluBackwardF32Unchecked(
      int count, Float32Buffer grad, Float32Buffer y, Float32Buffer dst);

  // ---- batch normalization ------------------------------------------------------------------------

  @Override
  public final void bnStatistics(
      int rows, int channels, Float32Buffer x, double[] mean, double[] m2, double[] absDev) {
    checkStatistics("bnStatistics", rows, channels, x, mean, m2, absDev);
    bnStatisticsUnchecked(rows, channels, x, mean, m2, absDev);
  }

  /** The operands of bnStatistics and bnDeviations (mean an output of one, an input of the other). */
  private static void checkStatistics(String op, int rows, int channels, Float32Buffer x,
      double[] mean, double[] m2, double[] absDev) {
    Checks.rowsAndChannels(rows, channels, op);
    Checks.buffer(x, (long) rows * channels, "x");
    Checks.perChannel(mean, channels, "mean", op);
    Checks.perChannel(m2, channels, "m2", op);
    Checks.perChannel(absDev, channels, "absDev", op);
  }

  protected abstract void bnStatisticsUnchecked(
      int rows, int channels, Float32Buffer x, double[] mean, double[] m2, double[] absDev);

  @Override
  public final void bnDeviations(
      int rows, int channels, Float32Buffer x, double[] mean, double[] m2, double[] absDev) {
    checkStatistics("bnDeviations", rows, channels, x, mean, m2, absDev);
    bnDeviationsUnchecked(rows, channels, x, mean, m2, absDev);
  }

  protected abstract void bnDeviationsUnchecked(
      int rows, int channels, Float32Buffer x, double[] mean, double[] m2, double[] absDev);

  @Override
  public final void bnNormalize(
      int rows, int channels, Float32Buffer x, BnAffine affine, boolean relu, Float32Buffer y) {
    String op = "bnNormalize";
    Checks.rowsAndChannels(rows, channels, op);
    long count = (long) rows * channels;
    Checks.buffer(x, count, "x");
    Checks.buffer(y, count, "y");
    Checks.descriptor(affine, "affine");
    affine.check(channels, op);
    bnNormalizeUnchecked(rows, channels, x, affine, relu, y);
  }

  protected abstract void bnNormalizeUnchecked(
      int rows, int channels, Float32Buffer x, BnAffine affine, boolean relu, Float32Buffer y);

  @Override
  public final void bnBackwardSums(
      int rows,
      int channels,
      Float32Buffer gradOut,
      Float32Buffer x,
      BnAffine affine,
      boolean relu,
      double[] sumG,
      double[] sumGh) {
    String op = "bnBackwardSums";
    Checks.rowsAndChannels(rows, channels, op);
    long count = (long) rows * channels;
    Checks.buffer(gradOut, count, "gradOut");
    Checks.buffer(x, count, "x");
    Checks.descriptor(affine, "affine");
    affine.check(channels, op);
    Checks.perChannel(sumG, channels, "sumG", op);
    Checks.perChannel(sumGh, channels, "sumGh", op);
    bnBackwardSumsUnchecked(rows, channels, gradOut, x, affine, relu, sumG, sumGh);
  }

  protected abstract void bnBackwardSumsUnchecked(
      int rows,
      int channels,
      Float32Buffer gradOut,
      Float32Buffer x,
      BnAffine affine,
      boolean relu,
      double[] sumG,
      double[] sumGh);

  @Override
  public final void bnBackwardInput(
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
    String op = "bnBackwardInput";
    Checks.rowsAndChannels(rows, channels, op);
    long count = (long) rows * channels;
    Checks.buffer(gradOut, count, "gradOut");
    Checks.buffer(x, count, "x");
    Checks.buffer(gradIn, count, "gradIn");
    Checks.descriptor(affine, "affine");
    affine.check(channels, op);
    Checks.perChannel(a, channels, "a", op);
    Checks.perChannel(b, channels, "b", op);
    Checks.perChannel(k, channels, "k", op);
    bnBackwardInputUnchecked(rows, channels, gradOut, x, affine, relu, a, b, k, gradIn);
  }

  protected abstract void bnBackwardInputUnchecked(
      int rows,
      int channels,
      Float32Buffer gradOut,
      Float32Buffer x,
      BnAffine affine,
      boolean relu,
      double[] a,
      double[] b,
      double[] k,
      Float32Buffer gradIn);

  @Override
  public final void bnMaxPool(ConvDesc d, Float32Buffer x, BnAffine affine, boolean relu,
      Float32Buffer pooled, Int32Buffer argmax) {
    Checks.bnMaxPool(d, x, pooled, argmax, affine, "bnMaxPool");
    bnMaxPoolUnchecked(d, x, affine, relu, pooled, argmax);
  }

  protected abstract void bnMaxPoolUnchecked(ConvDesc d, Float32Buffer x, BnAffine affine,
      boolean relu, Float32Buffer pooled, Int32Buffer argmax);

  @Override
  public final void bnMaxPoolBackwardSums(ConvDesc d, Float32Buffer gradPooled,
      Int32Buffer argmax, Float32Buffer x, BnAffine affine, boolean relu, double[] sumG,
      double[] sumGh) {
    String op = "bnMaxPoolBackwardSums";
    Checks.bnMaxPool(d, x, gradPooled, argmax, affine, op);
    Checks.perChannel(sumG, d.c(), "sumG", op);
    Checks.perChannel(sumGh, d.c(), "sumGh", op);
    bnMaxPoolBackwardSumsUnchecked(d, gradPooled, argmax, x, affine, relu, sumG, sumGh);
  }

  protected abstract void bnMaxPoolBackwardSumsUnchecked(ConvDesc d, Float32Buffer gradPooled,
      Int32Buffer argmax, Float32Buffer x, BnAffine affine, boolean relu, double[] sumG,
      double[] sumGh);

  @Override
  public final void bnMaxPoolBackwardInput(ConvDesc d, Float32Buffer gradPooled,
      Int32Buffer argmax, Float32Buffer x, BnAffine affine, boolean relu, double[] a, double[] b,
      double[] k, Float32Buffer gradIn) {
    String op = "bnMaxPoolBackwardInput";
    Checks.bnMaxPool(d, x, gradPooled, argmax, affine, op);
    Checks.buffer(gradIn, d.inputSize(), "gradIn");
    Checks.perChannel(a, d.c(), "a", op);
    Checks.perChannel(b, d.c(), "b", op);
    Checks.perChannel(k, d.c(), "k", op);
    bnMaxPoolBackwardInputUnchecked(d, gradPooled, argmax, x, affine, relu, a, b, k, gradIn);
  }

  protected abstract void bnMaxPoolBackwardInputUnchecked(ConvDesc d, Float32Buffer gradPooled,
      Int32Buffer argmax, Float32Buffer x, BnAffine affine, boolean relu, double[] a, double[] b,
      double[] k, Float32Buffer gradIn);

  @Override
  public final void bnMaxPoolBackwardMoments(ConvDesc conv, Float32Buffer image, int outChannels,
      int pool, Float32Buffer gradPooled, Int32Buffer argmax, Float32Buffer x, BnAffine affine,
      boolean relu, StemMoments out) {
    String op = "bnMaxPoolBackwardMoments";
    Checks.directConv(conv, outChannels, op);
    if (pool < 1 || pool > conv.outH() || pool > conv.outW()) {
      throw new IllegalArgumentException(op + ": pool=" + pool + ", expected 1.."
          + Math.min(conv.outH(), conv.outW()) + " (the stem's output is " + conv.outH() + "x"
          + conv.outW() + ")");
    }
    long pooled = (long) conv.n() * (conv.outH() / pool) * (conv.outW() / pool) * outChannels;
    Checks.buffer(image, conv.inputSize(), "image");
    Checks.buffer(gradPooled, pooled, "gradPooled");
    Checks.buffer(argmax, pooled, "argmax");
    Checks.buffer(x, (long) conv.colRows() * outChannels, "x");
    Checks.descriptor(affine, "affine");
    affine.check(outChannels, op);
    Checks.descriptor(out, "out");
    if (out.outChannels() != outChannels || out.patch() != conv.colCols()) {
      throw new IllegalArgumentException(op + ": out holds " + out.outChannels() + " channels x "
          + out.patch() + " cells, expected " + outChannels + " x " + conv.colCols());
    }
    bnMaxPoolBackwardMomentsUnchecked(conv, image, outChannels, pool, gradPooled, argmax, x,
        affine, relu, out);
  }

  protected abstract void bnMaxPoolBackwardMomentsUnchecked(ConvDesc conv, Float32Buffer image,
      int outChannels, int pool, Float32Buffer gradPooled, Int32Buffer argmax, Float32Buffer x,
      BnAffine affine, boolean relu, StemMoments out);

  // ---- fp32 matrix glue ---------------------------------------------------------------------------

  @Override
  public final void columnSumsF32(int rows, int cols, Float32Buffer m, float[] out) {
    Checks.matrix(rows, cols, "columnSumsF32");
    Checks.buffer(m, (long) rows * cols, "m");
    Checks.perColumn(out, cols, "columnSumsF32");
    columnSumsF32Unchecked(rows, cols, m, out);
  }

  protected abstract void columnSumsF32Unchecked(int rows, int cols, Float32Buffer m, float[] out);

  @Override
  public final void addRowVectorF32(int rows, int cols, Float32Buffer m, float[] v) {
    Checks.matrix(rows, cols, "addRowVectorF32");
    Checks.buffer(m, (long) rows * cols, "m");
    Checks.perColumn(v, cols, "addRowVectorF32");
    addRowVectorF32Unchecked(rows, cols, m, v);
  }

  protected abstract void addRowVectorF32Unchecked(int rows, int cols, Float32Buffer m, float[] v);

  @Override
  public final void transposeF32(int rows, int cols, Float32Buffer src, Float32Buffer dst) {
    Checks.matrix(rows, cols, "transposeF32");
    Checks.buffer(src, (long) rows * cols, "src");
    Checks.buffer(dst, (long) rows * cols, "dst");
    Checks.distinct(src, dst, "transposeF32");
    transposeF32Unchecked(rows, cols, src, dst);
  }

  protected abstract void transposeF32Unchecked(
      int rows, int cols, Float32Buffer src, Float32Buffer dst);

  @Override
  public final void transposeS8(int rows, int cols, Int8Buffer src, Int8Buffer dst) {
    Checks.matrix(rows, cols, "transposeS8");
    Checks.buffer(src, (long) rows * cols, "src");
    Checks.buffer(dst, (long) rows * cols, "dst");
    Checks.distinct(src, dst, "transposeS8");
    transposeS8Unchecked(rows, cols, src, dst);
  }

  protected abstract void transposeS8Unchecked(int rows, int cols, Int8Buffer src, Int8Buffer dst);
}
