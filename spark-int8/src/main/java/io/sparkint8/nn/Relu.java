package io.sparkint8.nn;

import io.sparkint8.kernels.Float32Buffer;
import java.nio.FloatBuffer;

/** y = max(x, 0); the backward pass passes the error where the output was positive. */
public final class Relu extends Layer {
  private final Float32Buffer y;
  private final Float32Buffer gx;

  public Relu(LayerContext ctx, Shape in, int maxBatch) {
    super(ctx, in, maxBatch);
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
    FloatBuffer xv = x.bytes().asFloatBuffer();
    FloatBuffer out = y.bytes().asFloatBuffer();
    int count = batch * in.size();
    for (int i = 0; i < count; i++) {
      float v = xv.get(i);
      out.put(i, v > 0f ? v : 0f);
    }
    return y;
  }

  @Override
  public Float32Buffer backward(Float32Buffer gradOut, int batch, boolean needInputGrad) {
    if (!needInputGrad) {
      return null;
    }
    FloatBuffer g = gradOut.bytes().asFloatBuffer();
    FloatBuffer out = gx.bytes().asFloatBuffer();
    FloatBuffer yv = y.bytes().asFloatBuffer();
    int count = batch * in.size();
    for (int i = 0; i < count; i++) {
      out.put(i, yv.get(i) > 0f ? g.get(i) : 0f);
    }
    return gx;
  }
}
