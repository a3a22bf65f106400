package io.sparkint8.nn;

import io.sparkint8.kernels.memory.Float32Buffer;
import io.sparkint8.kernels.memory.Int8Buffer;
import io.sparkint8.kernels.spi.QuantDesc;
import io.sparkint8.nn.spec.Shape;
import io.sparkint8.optim.Parameter;
import java.util.List;

/** Fully connected layer y = x W^T + b over the flattened input, in the engine's precision. */
public final class Linear extends Layer {
  private final int outFeatures;
  private final GemmCore core;
  private final Int8Buffer xq;
  private final Float32Buffer sx;
  private final Float32Buffer exampleScales;
  private Float32Buffer lastX;

  public Linear(LayerContext ctx, Shape in, int maxBatch, int outFeatures, boolean bias) {
    super(ctx, in, maxBatch, "fc");
    if (outFeatures < 1) {
      throw new IllegalArgumentException("fc: outFeatures=" + outFeatures + ", expected >= 1");
    }
    this.outFeatures = outFeatures;
    this.core = new GemmCore(this, ctx, in.size(), outFeatures, maxBatch, bias);
    boolean int8 = ctx.config().precision().int8Forward();
    this.xq = int8 ? own(ctx.allocator().allocateInt8((long) maxBatch * in.size())) : null;
    this.sx = int8 ? own(ctx.allocator().allocateFloat32(1)) : null;
    this.exampleScales = int8 ? own(ctx.allocator().allocateFloat32(maxBatch)) : null;
  }

  @Override
  public Shape outputShape() {
    return Shape.features(outFeatures);
  }

  @Override
  public String describe() {
    return "fc(" + outFeatures + ")";
  }

  @Override
  public Float32Buffer forward(Float32Buffer x, int batch, boolean training) {
    checkBatch(batch);
    lastX = x;
    core.loadWeights();
    if (xq == null) {
      return core.forwardF32(x, batch);
    }
    if (!training) {
      // one scale per example: a prediction does not depend on the rest of the batch
      ctx.backend().quantize(QuantDesc.perRow(batch, in.size()), x, null, xq, exampleScales);
      return core.forwardInt8PerExample(xq, exampleScales, batch, 1);
    }
    ctx.backend().quantize(QuantDesc.perTensor(batch, in.size()), x, null, xq, sx);
    return core.forwardInt8(xq, sx.get(0), batch);
  }

  @Override
  public Float32Buffer backward(Float32Buffer gradOut, int batch, boolean needInputGrad) {
    checkBatch(batch);
    return core.backward(gradOut, batch, lastX, xq, xq == null ? 0f : sx.get(0), needInputGrad);
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
