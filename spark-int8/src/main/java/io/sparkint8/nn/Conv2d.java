package io.sparkint8.nn;

import io.sparkint8.kernels.memory.Float32Buffer;
import io.sparkint8.kernels.memory.Int8Buffer;
import io.sparkint8.kernels.spi.ConvDesc;
import io.sparkint8.kernels.spi.Epilogue;
import io.sparkint8.kernels.spi.GemmDesc;
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
 * int8. Strided convolutions keep the column gradient and col2im.
 */
public final class Conv2d extends Layer {
  private final int outChannels;
  private final int kernel;
  private final int stride;
  private final int pad;
  private final Shape out;
  private final GemmCore core;
  private final boolean direct; // 1x1, stride 1, no padding: the image is its own im2col matrix
  private final Float32Buffer colsF;
  private final Int8Buffer imgQ;
  private final Int8Buffer colsQ;
  private final Float32Buffer sx;
  private final Float32Buffer exampleScales;
  private final Float32Buffer gradIn;
  private Float32Buffer lastCols;
  // the transposed-convolution grad_input of int8 backward (null when not used)
  private final boolean transposedInputGrad;
  private final Int8Buffer errorImage;
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
    this.core = new GemmCore(this, ctx, cols, outChannels, rows, bias, precision,
        inputGradient && !transposedInputGrad);
    var alloc = ctx.allocator();
    this.errorImage = transposedInputGrad
        ? own(alloc.allocateInt8((long) rows * outChannels)) : null;
    this.errorCols = transposedInputGrad
        ? own(alloc.allocateInt8((long) maxBatch * in.height() * in.width() * kernel * kernel
            * outChannels)) : null;
    this.flippedWeights = transposedInputGrad
        ? own(alloc.allocateInt8((long) in.channels() * kernel * kernel * outChannels)) : null;
    boolean needF32Cols = !direct && (!precision.int8Forward() || !precision.int8Backward());
    this.colsF = needF32Cols ? own(alloc.allocateFloat32((long) rows * cols)) : null;
    this.imgQ = precision.int8Forward()
        ? own(alloc.allocateInt8((long) maxBatch * in.size())) : null;
    this.colsQ = precision.int8Forward() && !direct
        ? own(alloc.allocateInt8((long) rows * cols)) : null;
    this.sx = precision.int8Forward() ? own(alloc.allocateFloat32(1)) : null;
    this.exampleScales = precision.int8Forward() ? own(alloc.allocateFloat32(maxBatch)) : null;
    this.gradIn = inputGradient ? own(alloc.allocateFloat32((long) maxBatch * in.size())) : null;
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
    lastCols = direct ? x : colsF;
    if (colsF != null) {
      ctx.backend().im2col(d, x, colsF);
    }
    if (imgQ == null) {
      return core.forwardF32(lastCols, rows);
    }
    // training quantizes the batch with one scale (the backward reuses it); inference gives every
    // image its own scale, so a prediction does not depend on the rest of the batch
    if (training) {
      ctx.backend().quantize(QuantDesc.perTensor(batch, in.size()), x, null, imgQ, sx);
    } else {
      ctx.backend().quantize(QuantDesc.perRow(batch, in.size()), x, null, imgQ, exampleScales);
    }
    if (colsQ != null) {
      ctx.backend().im2col(d, imgQ, colsQ);
    }
    Int8Buffer codes = direct ? imgQ : colsQ;
    return training ? core.forwardInt8(codes, sx.get(0), rows)
        : core.forwardInt8PerExample(codes, exampleScales, batch, out.height() * out.width());
  }

  @Override
  public Float32Buffer backward(Float32Buffer gradOut, int batch, boolean needInputGrad) {
    checkBatch(batch);
    if (needInputGrad && gradIn == null) {
      throw new IllegalStateException(describe() + ": built without an input gradient (the first"
          + " layer), asked for one");
    }
    ConvDesc d = desc(batch);
    Int8Buffer codes = imgQ == null ? null : (direct ? imgQ : colsQ);
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
    ctx.backend().col2im(d, gcols, gradIn);
    return gradIn;
  }

  /** G_X = scale * unfold(error image, flipped window) * flipped folded weights^T, into gradIn. */
  private Float32Buffer transposedConvolutionGrad(int batch, Float32Buffer gradOut) {
    var be = ctx.backend();
    int rows = batch * out.height() * out.width();
    be.transposeS8(outChannels, rows, core.errorCodes(), errorImage);
    ConvDesc window = new ConvDesc(batch, out.height(), out.width(), outChannels, kernel, kernel, 1,
        1, kernel - 1 - pad, kernel - 1 - pad);
    be.im2col(window, errorImage, errorCols);
    flipWeights();
    int pixels = batch * in.height() * in.width();
    be.gemmS8S8F32(GemmDesc.of(Trans.N, Trans.T, pixels, in.channels(), window.colCols()),
        errorCols, flippedWeights, Epilogue.scale(core.foldedWeightScale()), gradIn);
    core.recordGain(gradIn, (long) pixels * in.channels(), gradOut, (long) rows * outChannels);
    return gradIn;
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
