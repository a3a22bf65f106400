package io.sparkint8.nn;

import io.sparkint8.kernels.memory.Float32Buffer;
import io.sparkint8.kernels.memory.Int8Buffer;
import io.sparkint8.kernels.spi.ConvDesc;
import io.sparkint8.kernels.spi.Epilogue;
import io.sparkint8.kernels.spi.GemmDesc;
import io.sparkint8.kernels.spi.Int8Backend;
import io.sparkint8.kernels.spi.QuantDesc;
import io.sparkint8.kernels.spi.Trans;
import io.sparkint8.nn.spec.Shape;
import io.sparkint8.optim.Parameter;
import java.util.List;

/**
 * 2-D convolution over NHWC activations as im2col + GEMM: the im2col matrix [N*OH*OW x KH*KW*C] times
 * W^T gives the NHWC output directly. In int8 the image is quantized once (per tensor) and its codes are
 * unfolded, which is KH*KW times cheaper than quantizing the unfolded matrix.
 *
 * <p>In int8 backward a stride-1 convolution gets G_X as the transposed convolution: the error codes,
 * laid out as an NHWC image, are unfolded with the flipped window (padding KH-1-pad) and multiplied by
 * the folded weight codes rearranged to [C x KH*KW*OC] with the kernel flipped. Each input gradient is
 * then one exact int32 sum over (window, output channel) scaled once, and neither the fp32 column
 * gradient [N*OH*OW x KH*KW*C] (4 bytes a cell) nor its col2im pass is needed; the unfolded error is
 * int8. Strided convolutions keep the column gradient and col2im. The unfolded error is made and
 * multiplied a few images at a time ({@link #ERROR_COLS_BYTES}), so it is a small buffer reused while
 * in cache rather than K*K times the error.
 *
 * <p>A first conv whose forward is int8 and backward fp32 (the stem of an int8 network) with a small
 * window (kernel^2 * channels at most {@link Int8Backend#DIRECT_CONV_MAX_PATCH}: a 3x3 conv on grey
 * or RGB images) has no im2col matrix at all: its forward is the direct convolution of the image
 * codes (the same bits as im2col + GEMM), its backward the direct weight and bias gradient from the
 * fp32 image and the error in one pass. Such a GEMM has k = 9: it is bound by writing and reading
 * the 9-column im2col matrices (int8 forward, fp32 backward) rather than by arithmetic. A stem with a
 * larger window unfolds its fp32 input in the backward pass, into the network's shared slot that the
 * (absent) input gradient would use, instead of keeping an fp32 im2col matrix from the forward pass.
 */
public final class Conv2d extends Layer {
  /** Bytes of unfolded error codes per chunk of images in the transposed-convolution grad_input. */
  static final int ERROR_COLS_BYTES = 1 << 20;

  private final int outChannels;
  private final int kernel;
  private final int stride;
  private final int pad;
  private final Shape out;
  private final GemmCore core;
  private final boolean direct; // 1x1, stride 1, no padding: the image is its own im2col matrix
  // the stem's direct convolution ops (int8 forward, fp32 backward, small window): no im2col
  private final boolean directStem;
  // set once, when the network is built, for a stem whose gradients the batch norm after it computes:
  // that batch norm's first statistics pass, the per-channel sums of the last training output
  private double[] outputSums;
  private Float32Buffer summedOutput;
  private final Float32Buffer colsF;
  private final Int8Buffer imgQ;
  private final Int8Buffer colsQ;
  private final boolean int8Forward;
  private Int8Buffer lastCodes;
  private final Float32Buffer sx;
  private final Float32Buffer exampleScales;
  private final boolean inputGradient;
  private final Float32Buffer gradIn;
  // the stem's fp32 columns are unfolded in backward from the input, into a shared slot
  private final boolean colsInBackward;
  private Float32Buffer lastCols;
  private Float32Buffer lastX;
  private final int errorChunkImages;
  private final long errorChunkBytes; // the unfolded error of errorChunkImages images
  // the transposed-convolution grad_input of int8 backward (null when not used)
  private final boolean transposedInputGrad;
  private final Int8Buffer errorCols;
  private final Int8Buffer flippedWeights;
  private byte[] foldedA;
  private byte[] flippedA;

  public Conv2d(LayerContext ctx, Shape in, int maxBatch, int outChannels, int kernel, int stride,
      int pad, boolean bias) {
    this(ctx, in, maxBatch, outChannels, kernel, stride, pad, bias, ctx.config().precision(), true);
  }

  /**
   * A convolution whose GEMMs run in {@code precision} rather than the engine's, and that holds no
   * buffer for an input gradient when {@code inputGradient} is false (the network's first layer).
   */
  public Conv2d(LayerContext ctx, Shape in, int maxBatch, int outChannels, int kernel, int stride,
      int pad, boolean bias, Precision precision, boolean inputGradient) {
    super(ctx, in, maxBatch, "conv");
    if (outChannels < 1 || kernel < 1 || stride < 1 || pad < 0) {
      throw new IllegalArgumentException("conv(" + outChannels + "," + kernel + ",s=" + stride
          + ",p=" + pad + "): sizes must be >= 1 and padding >= 0");
    }
    this.outChannels = outChannels;
    this.kernel = kernel;
    this.stride = stride;
    this.pad = pad;
    ConvDesc one = desc(1);
    this.out = Shape.chw(outChannels, one.outH(), one.outW());
    this.direct = kernel == 1 && stride == 1 && pad == 0;
    int rows = maxBatch * out.height() * out.width();
    int cols = kernel * kernel * in.channels();
    this.transposedInputGrad = inputGradient && precision.int8Backward() && !direct
        && stride == 1 && pad <= kernel - 1;
    this.directStem = precision.int8Forward() && !precision.int8Backward() && !inputGradient
        && !direct && cols <= Int8Backend.DIRECT_CONV_MAX_PATCH;
    this.core = new GemmCore(this, ctx, cols, outChannels, rows, bias, precision,
        inputGradient && !transposedInputGrad, direct, directStem, transposedInputGrad);
    var alloc = ctx.allocator();
    SharedActivations shared = ctx.sharedActivations();
    long errorColsPerImage = (long) in.height() * in.width() * kernel * kernel * outChannels;
    this.errorChunkImages =
        (int) Math.max(1, Math.min(maxBatch, ERROR_COLS_BYTES / errorColsPerImage));
    this.errorChunkBytes = errorChunkImages * errorColsPerImage;
    // codes that live inside one call go to the network's shared int8 scratch when there is one:
    // [error codes | error image (both GemmCore's) | unfolded error] in backward, [image | columns]
    // in forward (the columns only when the backward does not read them: the stem's is fp32)
    boolean ownCodes = shared == null;
    this.errorCols = transposedInputGrad && ownCodes
        ? own(alloc.allocateInt8(errorChunkBytes)) : null;
    if (transposedInputGrad && !ownCodes) {
      shared.reserveInt8(2L * rows * outChannels + errorChunkBytes);
    }
    this.flippedWeights = transposedInputGrad
        ? own(alloc.allocateInt8((long) in.channels() * kernel * kernel * outChannels)) : null;
    boolean needF32Cols = !direct && !directStem
        && (!precision.int8Forward() || !precision.int8Backward());
    this.colsInBackward = needF32Cols && precision.int8Forward() && !inputGradient && !ownCodes;
    if (colsInBackward) {
      shared.reserve((long) rows * cols);
    }
    this.colsF = needF32Cols && !colsInBackward
        ? own(alloc.allocateFloat32((long) rows * cols)) : null;
    this.int8Forward = precision.int8Forward();
    boolean imageInScratch = int8Forward && !direct && !ownCodes;
    boolean needS8Cols = int8Forward && !direct && !directStem;
    boolean colsInScratch = imageInScratch && needS8Cols && !precision.int8Backward();
    this.imgQ = int8Forward && !imageInScratch
        ? own(alloc.allocateInt8((long) maxBatch * in.size())) : null;
    this.colsQ = needS8Cols && !colsInScratch ? own(alloc.allocateInt8((long) rows * cols)) : null;
    if (imageInScratch) {
      shared.reserveInt8((long) maxBatch * in.size() + (colsInScratch ? (long) rows * cols : 0));
    }
    this.sx = int8Forward ? own(alloc.allocateFloat32(1)) : null;
    this.exampleScales = int8Forward ? own(alloc.allocateFloat32(maxBatch)) : null;
    this.inputGradient = inputGradient;
    this.gradIn = inputGradient ? newTransient(in) : null;
  }

  private ConvDesc desc(int batch) {
    return new ConvDesc(
        batch, in.height(), in.width(), in.channels(), kernel, kernel, stride, stride, pad, pad);
  }

  @Override
  public Shape outputShape() {
    return out;
  }

  @Override
  public String describe() {
    return "conv(" + outChannels + "," + kernel + ",s=" + stride + ",p=" + pad + ")";
  }

  @Override
  public Float32Buffer forward(Float32Buffer x, int batch, boolean training) {
    checkBatch(batch);
    ConvDesc d = desc(batch);
    int rows = d.colRows();
    core.loadWeights();
    lastX = x;
    lastCols = direct ? x : colsF;
    if (colsF != null) {
      ctx.backend().im2col(d, x, colsF);
    }
    if (!int8Forward) {
      return core.forwardF32(lastCols, rows);
    }
    long inCodes = (long) batch * in.size();
    Int8Buffer img = codesOf(imgQ, 0, inCodes);
    // training quantizes the batch with one scale (the backward reuses it); inference gives every
    // image its own scale, so a prediction does not depend on the rest of the batch
    if (training) {
      ctx.backend().quantize(QuantDesc.perTensor(batch, in.size()), x, null, img, sx);
    } else {
      ctx.backend().quantize(QuantDesc.perRow(batch, in.size()), x, null, img, exampleScales);
    }
    if (directStem) {
      lastCodes = null; // the backward is fp32 and reads the image itself
      summedOutput = null;
      if (training && outputSums != null) {
        summedOutput = core.forwardInt8DirectSums(d, img, sx.get(0), outputSums);
        return summedOutput;
      }
      return training ? core.forwardInt8Direct(d, img, sx.get(0))
          : core.forwardInt8DirectPerExample(d, img, exampleScales, batch,
              out.height() * out.width());
    }
    Int8Buffer codes = img;
    if (!direct) {
      codes = codesOf(colsQ, inCodes, (long) rows * d.colCols());
      ctx.backend().im2col(d, img, codes);
    }
    lastCodes = codes;
    return training ? core.forwardInt8(codes, sx.get(0), rows)
        : core.forwardInt8PerExample(codes, exampleScales, batch, out.height() * out.width());
  }

  @Override
  public Float32Buffer backward(Float32Buffer gradOut, int batch, boolean needInputGrad) {
    checkBatch(batch);
    if (needInputGrad && !inputGradient) {
      throw new IllegalStateException(describe() + ": built without an input gradient (the first"
          + " layer), asked for one");
    }
    if (outputSums != null) {
      return null; // the batch norm after it has set this layer's gradients (fuseBackwardInto)
    }
    ConvDesc d = desc(batch);
    if (directStem) {
      core.backwardDirect(d, lastX, gradOut);
      return null; // a first layer: nobody asks for its input gradient (checked above)
    }
    Int8Buffer codes = core.precision().int8Backward() ? lastCodes : null;
    if (colsInBackward) {
      lastCols = ctx.sharedActivations().other(gradOut, (long) d.colRows() * d.colCols());
      ctx.backend().im2col(d, lastX, lastCols);
    }
    Float32Buffer gcols = core.backward(gradOut, d.colRows(), lastCols, codes,
        sx == null ? 0f : sx.get(0), needInputGrad);
    if (!needInputGrad) {
      return null;
    }
    if (transposedInputGrad) {
      return transposedConvolutionGrad(batch, gradOut);
    }
    if (direct) {
      return gcols;
    }
    Float32Buffer gi = transientBuffer(gradIn, gradOut, (long) batch * in.size());
    ctx.backend().col2im(d, gcols, gi);
    return gi;
  }

  /** {@code own} if this layer has it, else bytes [offset, offset + length) of the shared scratch. */
  private Int8Buffer codesOf(Int8Buffer own, long offset, long length) {
    return own != null ? own : ctx.sharedActivations().int8Scratch(offset, length);
  }

  /** G_X = scale * unfold(error image, flipped window) * flipped folded weights^T, into gradIn. */
  private Float32Buffer transposedConvolutionGrad(int batch, Float32Buffer gradOut) {
    var be = ctx.backend();
    int rows = batch * out.height() * out.width();
    Int8Buffer errorImage = core.errorImage(); // [rows x OC]: NHWC codes of the error
    Int8Buffer errorCols = codesOf(this.errorCols, 2L * rows * outChannels, errorChunkBytes);
    flipWeights();
    int pixels = batch * in.height() * in.width();
    Float32Buffer gi = transientBuffer(gradIn, gradOut, (long) pixels * in.channels());
    Epilogue scale = Epilogue.scale(core.foldedWeightScale());
    int errorPerImage = out.height() * out.width() * outChannels;
    int pixelsPerImage = in.height() * in.width();
    // each input gradient is one exact int32 sum over its own unfolded row, so splitting the rows
    // into chunks of images gives the same bits as one GEMM over all of them
    for (int b0 = 0; b0 < batch; b0 += errorChunkImages) {
      int images = Math.min(errorChunkImages, batch - b0);
      ConvDesc window = new ConvDesc(images, out.height(), out.width(), outChannels, kernel,
          kernel, 1, 1, kernel - 1 - pad, kernel - 1 - pad);
      int chunkPixels = images * pixelsPerImage;
      be.im2col(window, errorImage.slice(b0 * errorPerImage, images * errorPerImage), errorCols);
      be.gemmS8S8F32(
          GemmDesc.of(Trans.N, Trans.T, chunkPixels, in.channels(), window.colCols()),
          errorCols, flippedWeights, scale,
          gi.slice(b0 * pixelsPerImage * in.channels(), chunkPixels * in.channels()));
    }
    core.recordGain(gi, (long) pixels * in.channels(), gradOut, (long) rows * outChannels);
    return gi;
  }

  /**
   * flipped[ci][(i, j, co)] = folded[co][(K-1-i, K-1-j, ci)]: the weights of the transposed
   * convolution, from the folded codes [OC x K*K*C].
   */
  private void flipWeights() {
    int c = in.channels();
    int taps = kernel * kernel;
    int count = outChannels * taps * c;
    byte[] folded = foldedA = foldedA == null ? new byte[count] : foldedA;
    byte[] flipped = flippedA = flippedA == null ? new byte[count] : flippedA;
    core.foldedWeightCodes().bytes().get(0, folded, 0, count);
    for (int co = 0; co < outChannels; co++) {
      for (int tap = 0; tap < taps; tap++) {
        int src = (co * taps + tap) * c;
        int dst = (taps - 1 - tap) * outChannels + co; // (K-1-i, K-1-j) is tap taps-1-tap
        for (int ci = 0; ci < c; ci++) {
          flipped[ci * taps * outChannels + dst] = folded[src + ci];
        }
      }
    }
    flippedWeights.bytes().put(0, flipped, 0, count);
  }

  /**
   * Whether the batch norm after this layer may compute its weight gradient
   * ({@link BatchNorm#fuseStemBackward}): a direct stem convolution, whose input gradient nobody needs
   * and whose backward reads only its fp32 input and the error.
   */
  boolean isDirectStem() {
    return directStem;
  }

  /**
   * From now on the batch norm after this layer sets its gradients ({@link #setStemGradients}) in its
   * own backward pass, and this layer's backward does nothing; a training forward also sums its
   * output per channel for that batch norm's statistics ({@link #takeOutputSums}).
   */
  void fuseBackwardInto(BatchNorm next) {
    if (!directStem) {
      throw new IllegalStateException(describe() + ": not a direct stem convolution, its backward"
          + " cannot be fused into " + next.describe());
    }
    outputSums = new double[outChannels];
  }

  /**
   * The per-channel sums over the rows of {@code output} (bnStatistics' first pass, bit for bit) when
   * it is this layer's last training output and they were taken with it, else null; each set is
   * handed out once.
   */
  double[] takeOutputSums(Float32Buffer output) {
    if (summedOutput == null || summedOutput != output) {
      return null;
    }
    summedOutput = null;
    return outputSums;
  }

  /** The window of this stem for a batch and the input of its last forward pass. */
  ConvDesc stemWindow(int batch) {
    return desc(batch);
  }

  Float32Buffer lastInput() {
    return lastX;
  }

  /** The weight gradient [outChannels x kernel*kernel*C] and bias gradient (when it has a bias). */
  void setStemGradients(float[] weightGrad, float[] biasGrad) {
    core.setDirectGradients(weightGrad, biasGrad);
  }

  /** The precision of this layer's GEMMs (int8-forward for the stem of an int8 network). */
  public Precision precision() {
    return core.precision();
  }

  /** The GEMMs of this layer, for model state. */
  GemmCore core() {
    return core;
  }

  @Override
  public List<Parameter> parameters() {
    return core.parameters();
  }

  @Override
  public long heapScratchBytes() {
    return core.heapScratchBytes() + (foldedA == null ? 0 : 2L * foldedA.length);
  }

  @Override
  public List<LayerStats> stats() {
    return List.of(core.stats(describe() + "#" + id));
  }
}
