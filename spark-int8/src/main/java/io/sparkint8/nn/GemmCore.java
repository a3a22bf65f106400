package io.sparkint8.nn;

import io.sparkint8.kernels.memory.Float32Buffer;
import io.sparkint8.kernels.memory.Int32Buffer;
import io.sparkint8.kernels.memory.Int8Buffer;
import io.sparkint8.kernels.spi.ConvDesc;
import io.sparkint8.kernels.spi.Epilogue;
import io.sparkint8.kernels.spi.GemmDesc;
import io.sparkint8.kernels.spi.Granularity;
import io.sparkint8.kernels.spi.Int8Backend;
import io.sparkint8.kernels.spi.QuantDesc;
import io.sparkint8.kernels.spi.Rounding;
import io.sparkint8.kernels.spi.ShiftQuant;
import io.sparkint8.kernels.spi.Trans;
import io.sparkint8.optim.Parameter;
import io.sparkint8.quant.ClipStats;
import io.sparkint8.quant.ClippingStrategy;
import io.sparkint8.quant.QuantGranularity;
import java.nio.FloatBuffer;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The three GEMMs of a linear map Y[rows x n] = X[rows x k] * W^T + b, with W stored [n x k], in the
 * precision the engine asks for (Unified INT8 dataflow):
 *
 * <ul>
 *   <li>forward: X per-tensor int8 (nearest), W per output channel or per tensor, one s8 x s8 GEMM with
 *       the dequantization, bias included, fused into its epilogue;
 *   <li>grad_weight: the error G_Y is clipped by the layer's strategy (max, DSGC, MCS) and quantized
 *       with stochastic rounding at gradientBits, per tensor or per output channel (the rows of G_Y^T),
 *       then G_W = G_Y^T * X in int8 (channel scales are row scales of this GEMM). Below 8 bits with
 *       a group size (ShiftQuant), G_Y^T is quantized instead in groups of consecutive rows of one
 *       channel with power-of-two scales (capped by the clip), and the GEMM over rows aligns the
 *       groups by exact shifts of their int32 partial sums;
 *   <li>grad_input: channel scales of G_Y lie on the reduction axis, so they are folded into the weight
 *       operand (W'[c] = s_c * W[c], quantized once per tensor) and G_X = G_Y * W' in int8. Row groups
 *       would vary along this reduction, so with ShiftQuant grad_input quantizes the error a second
 *       time, per tensor or channel as above (one more pass over G_Y, only when G_X is needed).
 * </ul>
 *
 * fp32 and int8-forward modes run the corresponding GEMMs in fp32 instead. One instance per layer;
 * its buffers are registered with the owning layer, which closes them.
 */
final class GemmCore {
  private final LayerContext ctx;
  private final int layerId;
  private final int k;
  private final int n;
  private final int maxRows;
  private final Parameter weight;
  private final Parameter bias;
  private final ClippingStrategy clipping;
  private final Layer owner;

  private final Float32Buffer w;
  private final Float32Buffer b;
  private final Float32Buffer y;
  private final Float32Buffer gx;
  private final Precision precision;
  private final boolean gemmInputGrad;
  private final Float32Buffer gw;
  private final Float32Buffer gwT;
  private Int8Buffer wq;
  private Float32Buffer wScales;
  private Float32Buffer one;
  private Float32Buffer rowScales;
  private Int8Buffer gq; // null when the codes live in the network's shared int8 scratch
  private Int8Buffer lastErrorCodes;
  // the same codes in G_Y's layout [rows x n], for an owner that asked for them or for this core's own
  // grad_input GEMM (gqImage null otherwise, or when they live in the shared int8 scratch after the
  // channel-major codes)
  private final boolean ownerReadsErrorImage;
  private final boolean keepsErrorImage;
  private Int8Buffer gqImage;
  private Int8Buffer lastErrorImage;
  private Float32Buffer gScales;
  private Float32Buffer clipBuf;
  private Float32Buffer wFolded;
  private Int8Buffer wFoldedQ;
  // ShiftQuant (gradientBits < 8 with groups): G_Y^T in fp32, its group codes and exponents
  private Float32Buffer gyT;
  private Int8Buffer gqShift;
  private Int32Buffer gExponents;
  private float[] shiftClips;
  private ClipStats lastClip;
  private double lastGain = Double.NaN;
  // heap scratch for folding the error scales into W (reused across steps, grown on demand)
  private float[] wA;

  /** The GEMMs of a layer in the engine's precision, G_X included. */
  GemmCore(Layer owner, LayerContext ctx, int k, int n, int maxRows, boolean withBias) {
    this(owner, ctx, k, n, maxRows, withBias, ctx.config().precision(), true, true, false, false);
  }

  /**
   * @param precision the precision of these GEMMs, which may differ from the engine's (first conv)
   * @param gemmInputGrad whether this core computes G_X; when false it holds no G_X buffer and
   *     runs no grad_input GEMM: either nobody needs G_X (the network's first layer) or, in int8
   *     backward, the owner computes it from {@link #errorCodes()} and {@link
   *     #foldedWeightCodes()} (a convolution does it as the transposed convolution)
   * @param inputGradIsOwners whether G_X is the owner's input gradient as it stands ([maxBatch x
   *     input shape]: a fully connected layer, a 1x1 conv), so that it can live in the network's
   *     shared slots; a strided conv's column gradient is not (col2im reads it)
   * @param directConv whether the owner (a stem convolution) runs its int8 forward and fp32
   *     grad_weight as direct convolutions ({@link #forwardInt8Direct}, {@link #backwardDirect})
   *     instead of GEMMs, so that no transposed grad_weight buffer is needed
   * @param errorImage whether the owner reads the error codes of an int8 backward in G_Y's layout
   *     ({@link #errorImage()}: a convolution's transposed-convolution grad_input unfolds them as an
   *     NHWC image). They are written by the same quantization pass as the channel-major codes, also
   *     whenever this core runs the grad_input GEMM itself, which reads them in place
   */
  GemmCore(Layer owner, LayerContext ctx, int k, int n, int maxRows, boolean withBias,
      Precision precision, boolean gemmInputGrad, boolean inputGradIsOwners, boolean directConv,
      boolean errorImage) {
    this.owner = owner;
    this.precision = precision;
    this.gemmInputGrad = gemmInputGrad;
    this.ownerReadsErrorImage = errorImage && precision.int8Backward();
    this.keepsErrorImage = (errorImage || gemmInputGrad) && precision.int8Backward();
    this.ctx = ctx;
    this.layerId = owner.id;
    this.k = k;
    this.n = n;
    this.maxRows = maxRows;
    float[] init = new float[n * k];
    SplittableRandom rnd = new SplittableRandom(ctx.config().seed() * 1_000_003L + layerId);
    double std = Math.sqrt(2.0 / k); // He initialisation for ReLU networks
    for (int i = 0; i < init.length; i++) {
      init[i] = (float) (gaussian(rnd) * std);
    }
    this.weight = Parameter.weight(name() + ".weight", init);
    this.bias = withBias ? Parameter.noDecay(name() + ".bias", new float[n]) : null;
    EngineConfig cfg = ctx.config();
    this.clipping = cfg.clipping().create(cfg.gradientBits(), cfg.clipUpdateInterval());
    var alloc = ctx.allocator();
    w = owner.own(alloc.allocateFloat32((long) n * k));
    b = owner.own(alloc.allocateFloat32(n));
    y = owner.own(alloc.allocateFloat32((long) maxRows * n));
    if (inputGradIsOwners && (long) maxRows * k != (long) owner.maxBatch * owner.in.size()) {
      throw new IllegalArgumentException(name() + ": G_X of " + maxRows + " x " + k
          + " is not the input gradient of " + owner.maxBatch + " x " + owner.in);
    }
    gx = !gemmInputGrad ? null
        : inputGradIsOwners ? owner.newTransient(owner.in)
        : owner.own(alloc.allocateFloat32((long) maxRows * k));
    gw = owner.own(alloc.allocateFloat32((long) n * k));
    // an fp32 grad_weight with k much narrower than n (a stem conv: k = 9, n = 32) runs transposed
    gwT = !precision.int8Backward() && !directConv && 2 * k <= n
        ? owner.own(alloc.allocateFloat32((long) n * k)) : null;
    if (precision.int8Forward()) {
      wq = owner.own(alloc.allocateInt8((long) n * k));
      wScales = owner.own(alloc.allocateFloat32(n));
      one = owner.own(alloc.allocateFloat32(1));
    }
    if (precision.int8Backward()) {
      // the codes [n x rows], then (when kept) the same codes [rows x n] right after them
      if (ctx.sharedActivations() == null) {
        gq = owner.own(alloc.allocateInt8((long) n * maxRows));
        gqImage = keepsErrorImage ? owner.own(alloc.allocateInt8((long) n * maxRows)) : null;
      } else {
        ctx.sharedActivations().reserveInt8((keepsErrorImage ? 2L : 1L) * n * maxRows);
      }
      gScales = owner.own(alloc.allocateFloat32(n));
      clipBuf = owner.own(alloc.allocateFloat32(n));
      wFolded = owner.own(alloc.allocateFloat32((long) n * k));
      wFoldedQ = owner.own(alloc.allocateInt8((long) n * k));
      if (cfg.shiftQuant()) {
        gyT = owner.own(alloc.allocateFloat32((long) n * maxRows));
        gqShift = owner.own(alloc.allocateInt8((long) n * maxRows));
        gExponents = owner.own(alloc.allocateInt32(
            (long) n * ShiftQuant.groupsPerRow(maxRows, cfg.gradientGroupSize())));
      }
    }
  }

  static double gaussian(SplittableRandom rnd) {
    double u = rnd.nextDouble();
    double v = rnd.nextDouble();
    return Math.sqrt(-2 * Math.log(1 - u)) * Math.cos(2 * Math.PI * v);
  }

  Parameter weight() {
    return weight;
  }

  /** The precision these GEMMs run in. */
  Precision precision() {
    return precision;
  }

  Parameter bias() {
    return bias;
  }

  ClipStats lastClip() {
    return lastClip;
  }

  /** The layer's parameters: the weight, then the bias if there is one. */
  List<Parameter> parameters() {
    return bias == null ? List.of(weight) : List.of(weight, bias);
  }

  /** The statistics of the last backward pass, named for the layer. */
  LayerStats stats(String layer) {
    return new LayerStats(layer, lastClip, Double.NaN, lastGain);
  }

  /** The owning layer's name ("conv3", "fc7"), the prefix of its parameters' names. */
  String name() {
    return owner.name();
  }

  /** The error-clipping strategy, for model state (its settings and carried state). */
  ClippingStrategy clipping() {
    return clipping;
  }

  double lastGain() {
    return lastGain;
  }

  private Int8Backend be() {
    return ctx.backend();
  }

  /** Copies the master weights in and, for int8 forward, quantizes them once for this step. */
  void loadWeights() {
    w.copyFrom(weight.values());
    if (bias != null) {
      b.copyFrom(bias.values());
    }
    if (wq != null) {
      QuantDesc d = ctx.config().weightPerChannel() ? QuantDesc.perRow(n, k)
          : QuantDesc.perTensor(n, k);
      be().quantize(d, w, null, wq, wScales);
    }
  }

  /** Y = X W^T + b in fp32. */
  Float32Buffer forwardF32(Float32Buffer x, int rows) {
    be().gemmF32(GemmDesc.of(Trans.N, Trans.T, rows, n, k), 1f, x, w, 0f, y);
    if (bias != null) {
      be().addRowVectorF32(rows, n, y, bias.values());
    }
    return y;
  }

  /** Y = dequant(Xq * Wq^T) + b with X quantized per tensor at scale sx. */
  Float32Buffer forwardInt8(Int8Buffer xq, float sx, int rows) {
    be().gemmS8S8F32(GemmDesc.of(Trans.N, Trans.T, rows, n, k), xq, wq, forwardEpilogue(sx), y);
    return y;
  }

  /**
   * {@link #forwardInt8} of the im2col matrix of the image codes (window d, k = d.colCols()),
   * computed by the direct convolution without that matrix: the same exact sums and epilogue, so the
   * same bits.
   */
  Float32Buffer forwardInt8Direct(ConvDesc d, Int8Buffer imageCodes, float sx) {
    be().convS8Direct(d, imageCodes, wq, n, forwardEpilogue(sx), y);
    return y;
  }

  /** {@link #forwardInt8Direct} that also sums the output per channel (convS8DirectSums). */
  Float32Buffer forwardInt8DirectSums(ConvDesc d, Int8Buffer imageCodes, float sx,
      double[] columnSums) {
    be().convS8DirectSums(d, imageCodes, wq, n, forwardEpilogue(sx), y, columnSums);
    return y;
  }

  /** The dequantization of the training forward: X per tensor at sx, W per channel or tensor. */
  private Epilogue forwardEpilogue(float sx) {
    boolean perChannel = ctx.config().weightPerChannel();
    return new Epilogue(perChannel ? sx : sx * wScales.get(0), null,
        perChannel ? wScales : null, bias != null ? b : null, 0f);
  }

  /**
   * Inference: Y = dequant(Xq * Wq^T) + b where every example was quantized with its own scale
   * (exampleScales[e], covering rowsPerExample consecutive GEMM rows), so an example's output does
   * not depend on the other rows of its batch.
   */
  Float32Buffer forwardInt8PerExample(Int8Buffer xq, Float32Buffer exampleScales, int examples,
      int rowsPerExample) {
    Epilogue ep = perExampleEpilogue(exampleScales, examples, rowsPerExample);
    be().gemmS8S8F32(GemmDesc.of(Trans.N, Trans.T, examples * rowsPerExample, n, k), xq, wq, ep,
        y);
    return y;
  }

  /** {@link #forwardInt8PerExample} as a direct convolution of the image codes (window d). */
  Float32Buffer forwardInt8DirectPerExample(ConvDesc d, Int8Buffer imageCodes,
      Float32Buffer exampleScales, int examples, int rowsPerExample) {
    Epilogue ep = perExampleEpilogue(exampleScales, examples, rowsPerExample);
    be().convS8Direct(d, imageCodes, wq, n, ep, y);
    return y;
  }

  /** The dequantization of inference: each example's scale on its rows, W per channel or tensor. */
  private Epilogue perExampleEpilogue(Float32Buffer exampleScales, int examples,
      int rowsPerExample) {
    boolean perChannel = ctx.config().weightPerChannel();
    float w0 = perChannel ? 1f : wScales.get(0);
    if (rowScales == null) {
      // inference only: training does not pay for a float per GEMM row
      rowScales = owner.own(ctx.allocator().allocateFloat32(maxRows));
    }
    java.nio.FloatBuffer src = exampleScales.bytes().asFloatBuffer();
    java.nio.FloatBuffer dst = rowScales.bytes().asFloatBuffer();
    for (int e = 0; e < examples; e++) {
      float s = src.get(e) * w0;
      for (int r = 0; r < rowsPerExample; r++) {
        dst.put(e * rowsPerExample + r, s);
      }
    }
    return new Epilogue(1f, rowScales, perChannel ? wScales : null, bias != null ? b : null, 0f);
  }

  /**
   * Gradients from the error gy [rows x n]: sets weight/bias gradients and returns G_X [rows x k] when
   * asked. The forward input is given as fp32 (xf) for fp32 backward GEMMs, or as its int8 codes (xq at
   * scale sx) for int8 ones.
   */
  Float32Buffer backward(Float32Buffer gy, int rows, Float32Buffer xf, Int8Buffer xq, float sx,
      boolean needInputGrad) {
    boolean int8Backward = precision.int8Backward();
    if (bias != null) {
      be().columnSumsF32(rows, n, gy, bias.grad());
    }
    Float32Buffer result = int8Backward
        ? backwardInt8(gy, rows, xq, sx, needInputGrad)
        : backwardF32(gy, rows, xf, needInputGrad);
    gw.bytes().asFloatBuffer().get(0, weight.grad(), 0, n * k);
    lastGain = needInputGrad && result != null && ctx.measuresGains()
        ? norm(result, (long) rows * k) / norm(gy, (long) rows * n) : Double.NaN;
    return result;
  }

  /**
   * The fp32 backward of a stem convolution run as a direct convolution (no input gradient): the
   * weight and bias gradients from the error gy [d.colRows() x n] and the layer's fp32 input image
   * x, both in one pass without an im2col matrix, in the direct op's blocked summation order.
   */
  void backwardDirect(ConvDesc d, Float32Buffer x, Float32Buffer gy) {
    be().convGradWeightF32Direct(d, x, gy, n, gw, bias != null ? bias.grad() : null);
    gw.bytes().asFloatBuffer().get(0, weight.grad(), 0, n * k);
    lastGain = Double.NaN;
  }

  /** Weight and bias gradients computed by someone else (a fused backward); no G_X, so no gain. */
  void setDirectGradients(float[] weightGrad, float[] biasGrad) {
    System.arraycopy(weightGrad, 0, weight.grad(), 0, n * k);
    if (bias != null) {
      System.arraycopy(biasGrad, 0, bias.grad(), 0, n);
    }
    lastGain = Double.NaN;
  }

  /** Records ||G_X|| / ||G_Y|| for an owner that computed G_X itself (on measuring steps). */
  void recordGain(Float32Buffer gradIn, long gradInCount, Float32Buffer gy, long gyCount) {
    lastGain = ctx.measuresGains() ? norm(gradIn, gradInCount) / norm(gy, gyCount) : Double.NaN;
  }

  /**
   * The quantized error of the last int8 backward, [n x rows] (channel-major): bytes [0, n * rows)
   * of the network's shared int8 scratch when there is one, so valid in the owner's backward call.
   */
  Int8Buffer errorCodes() {
    return lastErrorCodes;
  }

  /**
   * The same codes as {@link #errorCodes()} in G_Y's layout, [rows x n] (an NHWC image of the error
   * codes for a convolution), when this core was built to keep them: bytes [n * rows, 2 * n * rows)
   * of the shared int8 scratch when there is one, so valid in the owner's backward call.
   */
  Int8Buffer errorImage() {
    if (!ownerReadsErrorImage) {
      throw new IllegalStateException(name() + ": built without the error image");
    }
    return lastErrorImage;
  }

  /**
   * The weights of the last int8 backward with the error's channel scales folded in, quantized per
   * tensor, [n x k]; G_X = {@link #foldedWeightScale()} * (error codes)^T * these codes.
   */
  Int8Buffer foldedWeightCodes() {
    return wFoldedQ;
  }

  float foldedWeightScale() {
    return one.get(0);
  }

  private Float32Buffer backwardF32(Float32Buffer gy, int rows, Float32Buffer xf,
      boolean needInputGrad) {
    if (gwT == null) {
      // G_W = G_Y^T X : [n x rows] * [rows x k]
      be().gemmF32(new GemmDesc(Trans.T, Trans.N, n, k, rows, n, k, k), 1f, gy, xf, 0f, gw);
    } else {
      // G_W^T = X^T G_Y : the narrower of k and n becomes the GEMM's rows, the wider its vector
      // columns; each output is the same fma chain over the rows (fma(a, b, c) = fma(b, a, c)),
      // so the bits are those of G_Y^T X
      be().gemmF32(new GemmDesc(Trans.T, Trans.N, k, n, rows, k, n, n), 1f, xf, gy, 0f, gwT);
      be().transposeF32(k, n, gwT, gw);
    }
    if (!needInputGrad) {
      return null;
    }
    if (!gemmInputGrad) {
      throw new IllegalStateException(name() + ": built without an input gradient (the first"
          + " layer), asked for one");
    }
    Float32Buffer gradIn = owner.transientBuffer(gx, gy, (long) rows * k);
    be().gemmF32(GemmDesc.of(Trans.N, Trans.N, rows, k, n), 1f, gy, w, 0f, gradIn);
    return gradIn;
  }

  private Float32Buffer backwardInt8(Float32Buffer gy, int rows, Int8Buffer xq, float sx,
      boolean needInputGrad) {
    EngineConfig cfg = ctx.config();
    lastClip = clipping.update(be(), ctx.allocator(), gy, rows, n);
    boolean perChannel = lastClip.granularity() == QuantGranularity.PER_COLUMN;
    float[] clips = lastClip.clips();
    if (cfg.shiftQuant()) {
      shiftGradWeight(gy, rows, xq, sx, perChannel, clips);
      if (!needInputGrad) {
        return null;
      }
    }
    clipBuf.copyFrom(clips);
    // G_Y^T [n x rows] is quantized straight from G_Y [rows x n] (its transpose) in one pass
    QuantDesc gd = new QuantDesc(n, rows, cfg.gradientBits(),
        perChannel ? Granularity.PER_ROW : Granularity.PER_TENSOR, 0, Rounding.STOCHASTIC, false,
        cfg.seed(), ctx.stream(layerId, 1));
    long count = (long) n * rows;
    Int8Buffer codes = lastErrorCodes =
        gq != null ? gq : ctx.sharedActivations().int8Scratch(0, count);
    if (ownerReadsErrorImage || (gemmInputGrad && needInputGrad)) {
      // the image too, from the same pass: no second pass transposing the codes
      lastErrorImage = gqImage != null ? gqImage
          : ctx.sharedActivations().int8Scratch(count, count);
      be().quantizeTransposedBoth(gd, gy, clipBuf, codes, lastErrorImage, gScales);
    } else {
      be().quantizeTransposed(gd, gy, clipBuf, codes, gScales);
    }
    float gTensor = gScales.get(0);
    if (!cfg.shiftQuant()) {
      // grad_weight: [n x rows] * [rows x k]; channel scales are row scales here
      Epilogue wEp = new Epilogue(perChannel ? sx : sx * gTensor, perChannel ? gScales : null,
          null, null, 0f);
      be().gemmS8S8F32(new GemmDesc(Trans.N, Trans.N, n, k, rows, rows, k, k), codes, xq, wEp,
          gw);
      if (!needInputGrad) {
        return null;
      }
    }
    // grad_input: fold the channel scales into W (W'[c] = s_c W[c]) and quantize it per tensor
    float[] wa = wA = HeapScratch.read(w, wA, n * k);
    for (int c = 0; c < n; c++) {
      float s = perChannel ? gScales.get(c) : gTensor;
      int base = c * k;
      for (int j = 0; j < k; j++) {
        wa[base + j] *= s;
      }
    }
    HeapScratch.write(wa, wFolded, n * k);
    be().quantize(QuantDesc.perTensor(n, k), wFolded, null, wFoldedQ, one);
    if (!gemmInputGrad) {
      return null;
    }
    Float32Buffer gradIn = owner.transientBuffer(gx, gy, (long) rows * k);
    // [rows x n] * [n x k] with the error codes in G_Y's layout, read in place: from the channel-major
    // codes (a transposed A) the GEMM would pack A per block first (exact int32 sums: same bits)
    be().gemmS8S8F32(new GemmDesc(Trans.N, Trans.N, rows, k, n, n, k, k), lastErrorImage, wFoldedQ,
        Epilogue.scale(one.get(0)), gradIn);
    return gradIn;
  }

  /**
   * ShiftQuant's grad_weight: G_Y^T [n x rows] in groups of gradientGroupSize rows of a channel, each
   * with the power-of-two scale of its max |g| capped by the channel's clip, then G_W = G_Y^T * X with
   * the groups' exact int32 partial sums aligned by shifts (alpha = sx / qmax, the exponents carry
   * the rest).
   */
  private void shiftGradWeight(Float32Buffer gy, int rows, Int8Buffer xq, float sx,
      boolean perChannel, float[] clips) {
    EngineConfig cfg = ctx.config();
    int group = cfg.gradientGroupSize();
    be().transposeF32(rows, n, gy, gyT);
    float[] rowClips = shiftClips = shiftClips == null ? new float[n] : shiftClips;
    for (int c = 0; c < n; c++) {
      rowClips[c] = perChannel ? clips[c] : clips[0];
    }
    clipBuf.copyFrom(rowClips);
    QuantDesc sd = new QuantDesc(n, rows, cfg.gradientBits(), Granularity.PER_GROUP, group,
        Rounding.STOCHASTIC, true, cfg.seed(), ctx.stream(layerId, 2));
    be().shiftQuantize(sd, gyT, clipBuf, gqShift, gExponents);
    be().gemmShiftS8S8F32(new GemmDesc(Trans.N, Trans.N, n, k, rows, rows, k, k), gqShift, xq,
        group, gExponents, sx / sd.qmax(), gw);
  }

  /** Bytes of the heap scratch array that folds the error scales into W. */
  long heapScratchBytes() {
    return wA == null ? 0 : 4L * wA.length;
  }

  /** Euclidean norm of elements [0, count) (a statistic: partial sums in a fixed order). */
  static double norm(Float32Buffer buf, long count) {
    return HeapScratch.norm(buf, count);
  }

  @Override
  public String toString() {
    return name() + " gemm [" + maxRows + " x " + k + "] -> " + n;
  }
}
