package io.sparkint8.nn;

import io.sparkint8.kernels.memory.Float32Buffer;
import io.sparkint8.kernels.spi.Int8Backend;
import io.sparkint8.nn.spec.Shape;

/** y = max(x, 0); the backward pass passes the error where the output was positive. */
public final class Relu extends Layer {
  private final Float32Buffer y;
  private final Float32Buffer gx;

  public Relu(LayerContext ctx, Shape in, int maxBatch) {
    super(ctx, in, maxBatch, "relu");
    this.y = newActivation(in);
    this.gx = newActivation(in);
  }

  @Override
  public Shape outputShape() {
    return in;
  }

  @Override
  public String describe() {
    return "relu";
  }

  @Override
  public Float32Buffer forward(Float32Buffer x, int batch, boolean training) {
    checkBatch(batch);
    // v > 0f ? v : +0f, NaN and -0 giving +0 (Int8Backend#reluF32)
    ctx.backend().reluF32(batch * in.size(), x, y);
    return y;
  }

  @Override
  public Float32Buffer backward(Float32Buffer gradOut, int batch, boolean needInputGrad) {
    if (!needInputGrad) {
      return null;
    }
    // the forward output is the mask: the error passes where y > 0
    ctx.backend().reluBackwardF32(batch * in.size(), gradOut, y, gx);
    return gx;
  }
}
