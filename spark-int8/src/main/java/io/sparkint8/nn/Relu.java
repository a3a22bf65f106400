package io.sparkint8.nn;

import io.sparkint8.kernels.Float32Buffer;

/** y = max(x, 0); the backward pass passes the error where the output was positive. */
public final class Relu extends Layer {
  private final Float32Buffer y;
  private final Float32Buffer gx;
  // raw float bits on the heap: ReLU as integer masks is exact (v > 0f ? v : 0f, NaN and -0 give +0)
  // and branch-free, so the JIT vectorizes it
  private int[] yBits;
  private int[] gBits;

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
    int count = batch * in.size();
    int[] v = yBits = readBits(x, yBits, count);
    for (int i = 0; i < count; i++) {
      int b = v[i];
      v[i] = b & positive(b);
    }
    y.bytes().asIntBuffer().put(0, v, 0, count);
    return y;
  }

  @Override
  public Float32Buffer backward(Float32Buffer gradOut, int batch, boolean needInputGrad) {
    if (!needInputGrad) {
      return null;
    }
    int count = batch * in.size();
    // the mask is the forward output; yBits mirrors y (written only by forward), so no read-back
    int[] yv = yBits != null && yBits.length >= count ? yBits : (yBits = readBits(y, yBits, count));
    int[] g = gBits = readBits(gradOut, gBits, count);
    for (int i = 0; i < count; i++) {
      g[i] &= positive(yv[i]);
    }
    gx.bytes().asIntBuffer().put(0, g, 0, count);
    return gx;
  }

  /** -1 when the float with these bits is > 0 (positive, finite or +inf), else 0. */
  private static int positive(int b) {
    return ((b - 0x7f800001) & -b) >> 31;
  }

  private static int[] readBits(Float32Buffer src, int[] dst, int count) {
    int[] a = dst != null && dst.length >= count ? dst : new int[count];
    src.bytes().asIntBuffer().get(0, a, 0, count);
    return a;
  }
}
