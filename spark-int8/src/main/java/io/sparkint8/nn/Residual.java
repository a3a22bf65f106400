package io.sparkint8.nn;

import io.sparkint8.kernels.memory.Float32Buffer;
import io.sparkint8.nn.spec.Shape;
import java.nio.FloatBuffer;
import java.util.List;

/**
 * y = body(x) + shortcut(x), with the shortcut the identity or a projection (1x1 strided conv + BN) when
 * the body changes the shape. The residual stream stays fp32 (ALGORITHMS.md §7): the branches are added
 * in fp32 and the next GEMM quantizes once. Backward: the error fans out unchanged to both branches and
 * the two input errors are summed in fp32. The branches' layers reuse the network's shared slots
 * ({@link SharedActivations}), which may hold the incoming error and do hold the body's input error
 * when the projection runs, so the block then keeps its own copy of both.
 */
public final class Residual extends Layer {
  private final Sequential body;
  private final Sequential projection;
  private final Float32Buffer y;
  private final Float32Buffer gx;
  private final Float32Buffer errorCopy;

  public Residual(LayerContext ctx, Shape in, int maxBatch, Sequential body,
      Sequential projection) {
    super(ctx, in, maxBatch, "res");
    Shape bodyOut = body.outputShape();
    Shape shortcutOut = projection == null ? in : projection.outputShape();
    if (!bodyOut.equals(shortcutOut)) {
      throw new IllegalArgumentException("res(" + body.describe() + "): body gives " + bodyOut
          + " but the shortcut gives " + shortcutOut);
    }
    this.body = body;
    this.projection = projection;
    this.y = newActivation(bodyOut);
    this.gx = newActivation(in);
    this.errorCopy = ctx.sharedActivations() == null ? null : newActivation(bodyOut);
  }

  public Sequential body() {
    return body;
  }

  /** The shortcut's 1x1 conv and bn, or null for an identity shortcut. */
  public Sequential projection() {
    return projection;
  }

  /** The body, then the projection if there is one. */
  @Override
  public List<Layer> children() {
    return projection == null ? List.of(body) : List.of(body, projection);
  }

  @Override
  public Shape outputShape() {
    return body.outputShape();
  }

  @Override
  public String describe() {
    return "res(" + body.describe() + ")";
  }

  @Override
  public Float32Buffer forward(Float32Buffer x, int batch, boolean training) {
    checkBatch(batch);
    FloatBuffer a = body.forward(x, batch, training).bytes().asFloatBuffer();
    FloatBuffer s = (projection == null ? x : projection.forward(x, batch, training)).bytes()
        .asFloatBuffer();
    FloatBuffer out = y.bytes().asFloatBuffer();
    for (int i = 0; i < batch * outputShape().size(); i++) {
      out.put(i, a.get(i) + s.get(i));
    }
    return y;
  }

  @Override
  public Float32Buffer backward(Float32Buffer gradOut, int batch, boolean needInputGrad) {
    Float32Buffer error = gradOut;
    if (errorCopy != null) {
      error = errorCopy;
      copy(gradOut, error, batch * outputShape().size());
    }
    Float32Buffer gb = body.backward(error, batch, needInputGrad);
    if (needInputGrad && errorCopy != null) {
      copy(gb, gx, batch * in.size());
      gb = gx;
    }
    Float32Buffer gs = projection == null ? error
        : projection.backward(error, batch, needInputGrad);
    if (!needInputGrad) {
      return null;
    }
    FloatBuffer a = gb.bytes().asFloatBuffer();
    FloatBuffer s = gs.bytes().asFloatBuffer();
    FloatBuffer out = gx.bytes().asFloatBuffer();
    for (int i = 0; i < batch * in.size(); i++) {
      out.put(i, a.get(i) + s.get(i));
    }
    return gx;
  }

  private static void copy(Float32Buffer from, Float32Buffer to, int count) {
    to.bytes().put(0, from.bytes(), 0, 4 * count);
  }
}
