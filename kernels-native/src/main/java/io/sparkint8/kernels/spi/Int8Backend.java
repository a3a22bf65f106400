package io.sparkint8.kernels.spi;

import io.sparkint8.kernels.memory.Float32Buffer;
import io.sparkint8.kernels.memory.Int32Buffer;
import io.sparkint8.kernels.memory.Int8Buffer;
import io.sparkint8.kernels.memory.OffHeapAllocator;

/**
 * The compute operations spark-int8 trains with. Every CPU implementation computes exactly what the
 * pure-Java reference computes, bit for bit, the fp32 GEMM included (the CUDA backend's fp32 GEMM agrees
 * within rounding). Matrices are row-major, images NHWC. Buffers are borrowed for the length of a call;
 * sizes are checked against them ({@link Checks}) and a violation throws {@link
 * IllegalArgumentException}. Implementations extend {@link AbstractBackend}.
 *
 * <p>Instances are immutable and thread-safe; {@link #withThreads} gives one that splits each call over
 * more threads (one by default, since Spark runs one task per core). Results never depend on it.
 */
public interface Int8Backend {

  /** "java", "native" or "cuda". */
  public String name();

  /**
   * The instruction-set path: "java", "scalar", "avx2" or "avx512vnni"; for CUDA the PTX target and
   * GEMM path, e.g. "sm_90-mma" or "sm_75-dp4a".
   */
  public String isa();

  public int threads();

  /** This backend with an intra-op thread count (1..64). */
  public Int8Backend withThreads(int threads);

  // ---- GEMM -------------------------------------------------------------------------------------

  /** C = op(A) * op(B) exactly, as int32 (the sum reduced modulo 2^32; exact for k <= 131008). */
  public void gemmS8S8S32(GemmDesc d, Int8Buffer a, Int8Buffer b, Int32Buffer c);

  /** As above with a pre-packed B (its k and n must match; transB and ldb of d are ignored). */
  public void gemmS8S8S32(GemmDesc d, Int8Buffer a, PackedB b, Int32Buffer c);

  /** C = epilogue(op(A) * op(B)) in fp32; the integer sums are exact for any k. */
  public void gemmS8S8F32(GemmDesc d, Int8Buffer a, Int8Buffer b, Epilogue ep, Float32Buffer c);

  public void gemmS8S8F32(GemmDesc d, Int8Buffer a, PackedB b, Epilogue ep, Float32Buffer c);

  /**
   * The GEMM of ShiftQuant codes: A's row i holds groups of {@code group} consecutive elements along k
   * (the last one shorter when group does not divide k), group g with the power-of-two exponent
   * {@code exponents[i * groupsPerRow + g]}, groupsPerRow = ceil(k / group). Every group's partial sum
   * P_g = sum over its p of A[i][p] * B[p][j] is exact in int32; they are aligned by shifts:
   *
   * <pre>
   * emin = min over g of e[i][g];   s = sum over g ascending of (int64) P_g << (e[i][g] - emin)
   * C[i][j] = scalb((float) s * alpha, emin)        ((float) s rounds once, as does each product)
   * </pre>
   *
   * The exponents of a row must lie within {@link ShiftQuant#SPAN} of each other, group in 1..{@link
   * ShiftQuant#MAX_GROUP}, k at most {@link ShiftQuant#MAX_K}: then s is exact in int64.
   */
  public void gemmShiftS8S8F32(GemmDesc d, Int8Buffer a, Int8Buffer b, int group,
      Int32Buffer exponents, float alpha, Float32Buffer c);

  /** Packs B (k x n, stored as given by transB and ldb; k <= 131008) for reuse; the caller owns it. */
  public PackedB packB(OffHeapAllocator allocator, Trans transB, int k, int n, int ldb, Int8Buffer b);

  /**
   * C = alpha * op(A) * op(B) + beta * C in fp32, with a fixed order of operations per output:
   *
   * <pre>
   * acc = +0f;  for p = 0 .. k-1:  acc = fma(A[i][p], B[p][j], acc)      (one rounding per step)
   * C[i][j] = alpha * acc                          when beta == 0 (C is not read)
   * C[i][j] = alpha * acc + beta * Cold[i][j]      otherwise (each product and the sum rounded to float)
   * </pre>
   *
   * Implementations vectorize across i and j, never across p, and split {@link #threads()} threads by
   * output rows or columns, never by k, so the bits depend neither on the ISA nor on the thread count.
   */
  public void gemmF32(
      GemmDesc d, float alpha, Float32Buffer a, Float32Buffer b, float beta, Float32Buffer c);

  /**
   * Which implementation the fp32 GEMM runs on: "int8k-sgemm" (native), "java-reference" or
   * "cuda-tiled-sgemm".
   */
  public String gemmF32Route();

  /**
   * The most bytes the kernels held at once in native temporaries (packing buffers, partial sums)
   * since the library loaded or {@link #resetNativeScratchPeak()}: with the caller's buffers, the
   * memory a step needs. Process-wide for the native library; 0 for a backend whose kernels
   * allocate nothing outside the caller's buffers.
   */
  public default long nativeScratchPeakBytes() {
    return 0;
  }

  /** Starts {@link #nativeScratchPeakBytes()} over from what is held now. */
  public default void resetNativeScratchPeak() {}

  // ---- quantization -----------------------------------------------------------------------------

  /**
   * Quantizes src (d.rows x d.cols) into codes and writes one scale (s / qmax) per group. {@code clip},
   * if not null, holds the clip value s of each group (finite, >= 0) instead of max|x|. A group holding
   * NaN or infinity is rejected.
   */
  public void quantize(
      QuantDesc d, Float32Buffer src, Float32Buffer clip, Int8Buffer codes, Float32Buffer scales);

  /**
   * {@link #quantize} of the {@code d.rows() x d.cols()} matrix whose transpose {@code srcT}
   * ({@code d.cols() x d.rows()}, row-major) is given, in one pass: element (r, c) is srcT[c *
   * rows + r], and codes, scales and stochastic draws are exactly those of quantizing the matrix.
   * Per-tensor or per-row groups only; the clip values are required (one per group).
   */
  public void quantizeTransposed(
      QuantDesc d, Float32Buffer srcT, Float32Buffer clip, Int8Buffer codes, Float32Buffer scales);

  /** dst = code * scale of its group. */
  public void dequantize(QuantDesc d, Int8Buffer codes, Float32Buffer scales, Float32Buffer dst);

  /**
   * ShiftQuant (see {@link ShiftQuant}): quantizes src (d.rows x d.cols) in groups of {@code d.group()}
   * consecutive columns of a row with power-of-two scales, writing the codes and each group's exponent
   * e (the group's value of a code q is q * 2^e / qmax). {@code d} must be PER_GROUP with {@code pow2}.
   * Per row r and group g, with m = min(max|x| of the group, rowClip[r]) (rowClip may be null: no
   * clip; else each value finite and >= 0):
   *
   * <pre>
   * e = m > 0 ? ceilExponent(m) : MIN_EXPONENT     (the smallest 2^e >= m, within [-120, 127])
   * e = max(e, max over the row's groups of e - SPAN)
   * codes as {@link #quantize} computes them with the clip value 2^e of the group
   * </pre>
   *
   * so the exponents of a row lie within {@link ShiftQuant#SPAN} of each other, as {@link
   * #gemmShiftS8S8F32} needs. A group holding NaN or infinity is rejected.
   */
  public void shiftQuantize(
      QuantDesc d, Float32Buffer src, Float32Buffer rowClip, Int8Buffer codes, Int32Buffer exponents);

  /**
   * {@link #quantizeTransposed} that also writes the same codes in srcT's layout, from the same pass:
   * codesT ({@code d.cols() x d.rows()}) is codes transposed, {@code codesT[c * rows + r] = codes[r *
   * cols + c]}. A convolution's error G [pixels x channels] gives its grad_weight GEMM the codes
   * [channels x pixels] and its transposed-convolution grad_input the NHWC image of codes codesT,
   * without a second pass over them.
   */
  public void quantizeTransposedBoth(QuantDesc d, Float32Buffer srcT, Float32Buffer clip,
      Int8Buffer codes, Int8Buffer codesT, Float32Buffer scales);

  // ---- statistics -------------------------------------------------------------------------------

  /** max |x| over the matrix, per row or per column; NaN if the reduction holds a NaN. */
  public void absmax(int rows, int cols, Float32Buffer src, Axis axis, Float32Buffer out);

  /** Per column (channel): the fraction of |x| above the column's standard deviation (GVQ's test). */
  public void channelFractionAboveStd(int rows, int cols, Float32Buffer src, Float32Buffer out);

  /**
   * DSGC's deviation 1 - cos(x, dequant(quant(clamp(x, c)))) of the first {@code count} elements at
   * each candidate clip c (1..64 candidates, each finite and > 0), per-tensor, nearest rounding:
   * {@link #cosineDeviation} of {@link #clipCosineSums}.
   */
  public double[] clipCosineDeviation(Float32Buffer src, int count, int bits, float[] candidates);

  /**
   * The sums behind {@link #clipCosineDeviation}, for n candidates: x·x̂(c_i) at [i], |x̂(c_i)|² at
   * [n + i] and |x|² at [2n], each summed in the fixed lane order of the C header. Partitions add
   * these before forming the deviation of their union.
   */
  public double[] clipCosineSums(Float32Buffer src, int count, int bits, float[] candidates);

  /** 1 - dot / (|x| |x̂|) from the sums; 1 (no signal) when either norm is zero. */
  static double cosineDeviation(double dot, double normHatSquared, double normXSquared) {
    return (normXSquared == 0 || normHatSquared == 0) ? 1.0
        : 1.0 - dot / (Math.sqrt(normXSquared) * Math.sqrt(normHatSquared));
  }

  // ---- convolution helpers, pooling, ReLU (NHWC) -----------------------------------------------

  public void im2col(ConvDesc d, Int8Buffer src, Int8Buffer cols);

  public void im2col(ConvDesc d, Float32Buffer src, Float32Buffer cols);

  /** The adjoint of im2col: dst is overwritten with the sum of the column entries of each pixel. */
  public void col2im(ConvDesc d, Float32Buffer cols, Float32Buffer dst);

  public void col2im(ConvDesc d, Int32Buffer cols, Int32Buffer dst);

  /** Max-pool of codes; argmax receives the flat NHWC index of each winner (first maximum). */
  public void maxPool(ConvDesc d, Int8Buffer src, Int8Buffer dst, Int32Buffer argmax);

  /**
   * Max-pool of fp32 activations: the window is scanned row then column, skipping cells outside the
   * image; its first cell seeds the maximum and a later cell wins only when strictly greater (so a NaN
   * never wins after the first cell, and a NaN in the first cell stays). argmax as for codes.
   */
  public void maxPoolF32(ConvDesc d, Float32Buffer src, Float32Buffer dst, Int32Buffer argmax);

  /** gradIn = 0, then gradIn[argmax[o]] += gradOut[o] in order. */
  public void maxPoolBackward(ConvDesc d, Float32Buffer gradOut, Int32Buffer argmax, Float32Buffer gradIn);

  /** dst = max(src, 0) on codes; mask = 1 where src > 0, else 0. */
  public void relu(int count, Int8Buffer src, Int8Buffer dst, Int8Buffer mask);

  /** dst = grad where mask != 0, else 0. */
  public void reluBackward(int count, Float32Buffer grad, Int8Buffer mask, Float32Buffer dst);

  /**
   * Windows of at most this many cells (kh * kw * c) are what {@link #convS8Direct} and {@link
   * #convGradWeightF32Direct} take: a network's stem (3x3 over 1..3 channels, 5x5 over 1..2).
   */
  public static final int DIRECT_CONV_MAX_PATCH = 64;

  /** Rows per fp32 partial sum of {@link #convGradWeightF32Direct}. */
  public static final int DIRECT_CONV_GRAD_BLOCK = 256;

  /**
   * A convolution of int8 codes without an im2col matrix, for small windows (d.colCols() <= {@link
   * #DIRECT_CONV_MAX_PATCH}): dst [d.colRows() x outChannels] gets exactly what {@link #im2col} of src
   * followed by {@link #gemmS8S8F32} with (N, T), B = wei [outChannels x d.colCols()] and this epilogue
   * writes (its rowScale indexed by output pixel, colScale and bias by output channel).
   */
  public void convS8Direct(ConvDesc d, Int8Buffer src, Int8Buffer wei, int outChannels, Epilogue ep,
      Float32Buffer dst);

  /**
   * {@link #convS8Direct} that also sums its output per channel as {@link #bnStatistics}' first pass
   * sums its input: columnSums[o] = the sum over output pixels r ascending, in double from +0, of
   * dst[r][o]. A batch norm after the stem then skips that pass ({@link #bnDeviations}).
   */
  public void convS8DirectSums(ConvDesc d, Int8Buffer src, Int8Buffer wei, int outChannels,
      Epilogue ep, Float32Buffer dst, double[] columnSums);

  /**
   * The weight (and bias) gradient of a convolution without an im2col matrix, for the windows of {@link
   * #convS8Direct}: gradWeight[o][col] = sum over output pixels r of gradOut[r][o] * x(r, col), x being
   * the fp32 image src as {@link #im2col} unfolds it (+0 outside the image), and gradBias[o] = sum over r
   * of gradOut[r][o] (skipped when gradBias is null). Order: rows in blocks of {@link
   * #DIRECT_CONV_GRAD_BLOCK}, each block one float chain from +0 (fma(g, x, part) for the weights, part
   * + g for the bias) in ascending r, the blocks' sums added in double from +0 in ascending order, the
   * total rounded to float once.
   */
  public void convGradWeightF32Direct(ConvDesc d, Float32Buffer src, Float32Buffer gradOut,
      int outChannels, Float32Buffer gradWeight, float[] gradBias);

  // ---- batch normalization and fp32 ReLU (rows x channels, row-major / NHWC) ---------------------

  /**
   * {@link #bnStatistics}' second pass around the given means (the first pass done elsewhere, e.g. by
   * {@link #convS8DirectSums}): m2 = sum((x - mean)^2) and absDev = sum(|x - mean|), x - mean in
   * double, rows ascending; with bnStatistics' means, its m2 and absDev bit for bit.
   */
  public void bnDeviations(
      int rows, int channels, Float32Buffer x, double[] mean, double[] m2, double[] absDev);

  /**
   * Per-channel batch statistics, every sum in double over rows in ascending order: mean = sum(x) /
   * rows, then m2 = sum((x - mean)^2) and absDev = sum(|x - mean|). The arrays (length >= channels)
   * are overwritten.
   */
  public void bnStatistics(
      int rows, int channels, Float32Buffer x, double[] mean, double[] m2, double[] absDev);

  /**
   * y = gamma * xhat + beta per channel with xhat = (x - mean) * invScale, each operation in float
   * ({@link BnAffine}). With {@code relu}, a ReLU follows in the same pass: y = that value where it
   * is > 0, else +0 (as {@link #reluF32}).
   */
  public void bnNormalize(
      int rows, int channels, Float32Buffer x, BnAffine affine, boolean relu, Float32Buffer y);

  /**
   * sumG = sum(g) and sumGh = sum(g * xhat) per channel, in double over rows in ascending order, xhat
   * recomputed from the forward input x as {@link #bnNormalize} computed it. With {@code relu} (the
   * forward ran with relu), g is first masked as {@link #reluBackwardF32} masks it, by the forward
   * output recomputed the same way (so the ReLU needs no buffer of its own).
   */
  public void bnBackwardSums(
      int rows,
      int channels,
      Float32Buffer gradOut,
      Float32Buffer x,
      BnAffine affine,
      boolean relu,
      double[] sumG,
      double[] sumGh);

  /**
   * gradIn = (float) (k * ((double) g - a - (double) xhat * b)) with a, b, k per channel; xhat and,
   * with {@code relu}, the mask of g as in {@link #bnBackwardSums}.
   */
  public void bnBackwardInput(
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

  // ---- batch normalization fused with the max-pool after it (windows that tile: stride == kernel,
  // no padding) -------------------------------------------------------------------------------------

  /**
   * {@link #bnNormalize} (rows = n*h*w of window {@code d}) followed by {@link #maxPoolF32} over
   * {@code d}, in one pass: pooled and argmax are bit for bit those of the two ops run apart, and the
   * normalized tensor is never written.
   */
  public void bnMaxPool(ConvDesc d, Float32Buffer x, BnAffine affine, boolean relu,
      Float32Buffer pooled, Int32Buffer argmax);

  /**
   * {@link #bnBackwardSums} of the error {@link #maxPoolBackward} would scatter from {@code
   * gradPooled} and the argmax of {@link #bnMaxPool}, without writing it: element e of window o gets
   * 0f + gradPooled[o] when argmax[o] == e, else +0 (also cells in no window, and an argmax outside
   * its window passes nothing).
   */
  public void bnMaxPoolBackwardSums(ConvDesc d, Float32Buffer gradPooled, Int32Buffer argmax,
      Float32Buffer x, BnAffine affine, boolean relu, double[] sumG, double[] sumGh);

  /** {@link #bnBackwardInput} of the error of {@link #bnMaxPoolBackwardSums}. */
  public void bnMaxPoolBackwardInput(ConvDesc d, Float32Buffer gradPooled, Int32Buffer argmax,
      Float32Buffer x, BnAffine affine, boolean relu, double[] a, double[] b, double[] k,
      Float32Buffer gradIn);

  /**
   * The backward of a network's stem, a convolution {@code conv} of the fp32 image whose input
   * gradient nobody needs (with at most {@link #DIRECT_CONV_MAX_PATCH} window cells), followed by a
   * batch norm fused with a max-pool of {@code pool} x {@code pool} windows at stride {@code pool}
   * (its window: n x outH x outW x outChannels): in one pass over the stem's output x, what {@link
   * #bnMaxPoolBackwardSums}, {@link #bnMaxPoolBackwardInput} and {@link #convGradWeightF32Direct} of
   * that input gradient need, without the input gradient. With g and xhat as {@link
   * #bnMaxPoolBackwardSums} has them and x(r, col) the image as {@link #im2col} unfolds it, {@code out}
   * gets sumG = sum over rows r of g(r, o), sumGh = sum of g xhat, momentG[o][col] = sum of g(r, o)
   * x(r, col), momentH[o][col] = sum of xhat(r, o) x(r, col) and windowSum[col] = sum of x(r, col)
   * ({@link StemMoments}), each in {@link #convGradWeightF32Direct}'s order (float chains over blocks
   * of {@link #DIRECT_CONV_GRAD_BLOCK} rows, added in double), unrounded. For the batch norm's a, b, k
   * of {@link #bnBackwardInput} the weight gradient is then k (momentG - a windowSum - b momentH) and
   * the bias gradient k (sumG - a rows) (the sum of xhat is 0), by linearity; the caller combines them
   * (which rounds differently from running the three ops).
   */
  public void bnMaxPoolBackwardMoments(ConvDesc conv, Float32Buffer image, int outChannels,
      int pool, Float32Buffer gradPooled, Int32Buffer argmax, Float32Buffer x, BnAffine affine,
      boolean relu, StemMoments out);

  /** dst = src where src > 0, else +0 (NaN and -0 give +0). In place allowed. */
  public void reluF32(int count, Float32Buffer src, Float32Buffer dst);

  /** dst = grad where the forward output y > 0, else +0. In place allowed (dst == grad). */
  public void reluBackwardF32(int count, Float32Buffer grad, Float32Buffer y, Float32Buffer dst);

  // ---- fp32 matrix glue around the GEMMs (rows x cols, row-major) ------------------------------

  /** out[j] = sum over rows, in ascending order and in float starting from +0, of m[r][j]. */
  public void columnSumsF32(int rows, int cols, Float32Buffer m, float[] out);

  /** m[r][j] += v[j] in float (a bias added to every row). */
  public void addRowVectorF32(int rows, int cols, Float32Buffer m, float[] v);

  /** dst (cols x rows) = src (rows x cols) transposed; src and dst must not overlap. */
  public void transposeF32(int rows, int cols, Float32Buffer src, Float32Buffer dst);

  /** dst (cols x rows) = src (rows x cols) transposed, on int8 codes; src and dst distinct. */
  public void transposeS8(int rows, int cols, Int8Buffer src, Int8Buffer dst);
}
