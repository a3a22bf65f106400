package io.sparkint8.nn;

import io.sparkint8.kernels.memory.Float32Buffer;
import io.sparkint8.nn.spec.Shape;

/** NHWC [N, H, W, C] viewed as [N, H*W*C]: the same memory, only the shape changes. */
public final class Flatten extends Layer {
  public Flatten(LayerContext ctx, Shape in, int maxBatch) {
    super(ctx, in, maxBatch, "flatten");
  }

  @Override
  public Shape outputShape() {
    return Shape.features(in.size());
  }

  @Override
  public String describe() {
    return "flatten";
  }

  @Override
  public Float32Buffer forward(Float32Buffer x, int batch, boolean training) {
    return x;
  }

  @Override
  public Float32Buffer backward(Float32Buffer gradOut, int batch, boolean needInputGrad) {
    return needInputGrad ? gradOut : null;
  }
}
