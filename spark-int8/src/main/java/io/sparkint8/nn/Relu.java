package io.sparkint8.nn;

import io.sparkint8.kernels.memory.Float32Buffer;
import io.sparkint8.kernels.spi.Int8Backend;
import io.sparkint8.nn.spec.Shape;

/**
 * y = max(x, 0); the backward pass passes the error where the output was positive. When the layer
 * before it is a {@link BatchNorm} that {@linkplain BatchNorm#fusesRelu() fuses} this ReLU, it passes
 * values and errors through unchanged and holds no buffers.
 */
public final class Relu extends Layer {
  private final boolean fusedIntoBatchNorm;
  private final Float32Buffer y;
  private final Float32Buffer gx;

  public Relu(LayerContext ctx, Shape in, int maxBatch) {
    this(ctx, in, maxBatch, false);
  }

  /** A ReLU whose work the preceding BatchNorm does when {@code fusedIntoBatchNorm}. */
  public Relu(LayerContext ctx, Shape in, int maxBatch, boolean fusedIntoBatchNorm) {
    super(ctx, in, maxBatch, "relu");
    this.fusedIntoBatchNorm = fusedIntoBatchNorm;
    this.y = fusedIntoBatchNorm ? null : newActivation(in);
    this.gx = fusedIntoBatchNorm ? null : newTransient(in);
  }

  /** Whether the preceding BatchNorm applies this ReLU. */
  public boolean fusedIntoBatchNorm() {
    return fusedIntoBatchNorm;
  }

  @Override
  public Shape outputShape() {
    return in;
  }

  @Override
  public String describe() {
    return fusedIntoBatchNorm ? "relu(fused)" : "relu";
  }

  @Override
  public Float32Buffer forward(Float32Buffer x, int batch, boolean training) {
    checkBatch(batch);
    if (fusedIntoBatchNorm) {
      return x;
    }
    // v > 0f ? v : +0f, NaN and -0 giving +0 (Int8Backend#reluF32)
    ctx.backend().reluF32(batch * in.size(), x, y);
    return y;
  }

  @Override
  public Float32Buffer backward(Float32Buffer gradOut, int batch, boolean needInputGrad) {
    if (!needInputGrad) {
      return null;
    }
    if (fusedIntoBatchNorm) {
      return gradOut;
    }
    // the forward output is the mask: the error passes where y > 0
    Float32Buffer gradIn = transientBuffer(gx, gradOut, (long) batch * in.size());
    ctx.backend().reluBackwardF32(batch * in.size(), gradOut, y, gradIn);
    return gradIn;
  }
}
