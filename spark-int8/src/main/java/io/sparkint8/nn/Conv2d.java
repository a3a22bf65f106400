package io.sparkint8.nn;

import io.sparkint8.kernels.memory.Float32Buffer;
import io.sparkint8.kernels.memory.Int8Buffer;
import io.sparkint8.kernels.spi.ConvDesc;
import io.sparkint8.kernels.spi.QuantDesc;
import io.sparkint8.nn.spec.Shape;
import io.sparkint8.optim.Parameter;
import java.util.List;

/**
 * 2-D convolution over NHWC activations as im2col + GEMM: the im2col matrix [N*OH*OW x KH*KW*C] times
 * W^T gives the NHWC output directly. In int8 the image is quantized once (per tensor) and its codes are
 * unfolded, which is KH*KW times cheaper than quantizing the unfolded matrix.
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

  public Conv2d(LayerContext ctx, Shape in, int maxBatch, int outChannels, int kernel, int stride,
      int pad, boolean bias) {
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
    this.core = new GemmCore(this, ctx, cols, outChannels, rows, bias);
    var alloc = ctx.allocator();
    var precision = ctx.config().precision();
    boolean needF32Cols = !direct && (!precision.int8Forward() || !precision.int8Backward());
    this.colsF = needF32Cols ? own(alloc.allocateFloat32((long) rows * cols)) : null;
    this.imgQ = precision.int8Forward()
        ? own(alloc.allocateInt8((long) maxBatch * in.size())) : null;
    this.colsQ = precision.int8Forward() && !direct
        ? own(alloc.allocateInt8((long) rows * cols)) : null;
    this.sx = precision.int8Forward() ? own(alloc.allocateFloat32(1)) : null;
    this.exampleScales = precision.int8Forward() ? own(alloc.allocateFloat32(maxBatch)) : null;
    this.gradIn = own(alloc.allocateFloat32((long) maxBatch * in.size()));
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
    ConvDesc d = desc(batch);
    Int8Buffer codes = imgQ == null ? null : (direct ? imgQ : colsQ);
    Float32Buffer gcols = core.backward(gradOut, d.colRows(), lastCols, codes,
        sx == null ? 0f : sx.get(0), needInputGrad);
    if (!needInputGrad) {
      return null;
    }
    if (direct) {
      return gcols;
    }
    ctx.backend().col2im(d, gcols, gradIn);
    return gradIn;
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
  public List<LayerStats> stats() {
    return List.of(core.stats(describe() + "#" + id));
  }
}
