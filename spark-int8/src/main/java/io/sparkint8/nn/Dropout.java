package io.sparkint8.nn;

import io.sparkint8.kernels.memory.Float32Buffer;
import io.sparkint8.kernels.ref.StochasticRounding;
import io.sparkint8.nn.spec.Shape;
import java.nio.FloatBuffer;

/**
 * Inverted dropout: in training each element is kept with probability 1 - p and scaled by 1/(1 - p). The
 * mask comes from the counter-based generator keyed by (seed, step, partition, layer), so a step is
 * reproducible whatever the thread count and a retried task draws the same mask.
 */
public final class Dropout extends Layer {
  private final double p;
  private final Float32Buffer y;
  private final Float32Buffer gx;
  private long key;

  public Dropout(LayerContext ctx, Shape in, int maxBatch, double p) {
    super(ctx, in, maxBatch, "dropout");
    if (!(p >= 0 && p < 1)) {
      throw new IllegalArgumentException("dropout: p=" + p + ", expected in [0, 1)");
    }
    this.p = p;
    this.y = newActivation(in);
    this.gx = newTransient(in);
  }

  @Override
  public Shape outputShape() {
    return in;
  }

  @Override
  public String describe() {
    return "dropout(" + p + ")";
  }

  @Override
  public Float32Buffer forward(Float32Buffer x, int batch, boolean training) {
    if (!training || p == 0) {
      return x;
    }
    key = StochasticRounding.key(ctx.config().seed(), ctx.stream(id, 2));
    FloatBuffer xv = x.bytes().asFloatBuffer();
    FloatBuffer out = y.bytes().asFloatBuffer();
    float keepScale = (float) (1 / (1 - p));
    for (int i = 0; i < batch * in.size(); i++) {
      out.put(i, StochasticRounding.uniform(key, i) < p ? 0f : xv.get(i) * keepScale);
    }
    return y;
  }

  @Override
  public Float32Buffer backward(Float32Buffer gradOut, int batch, boolean needInputGrad) {
    if (!needInputGrad) {
      return null;
    }
    if (p == 0) {
      return gradOut;
    }
    FloatBuffer g = gradOut.bytes().asFloatBuffer();
    Float32Buffer gradIn = transientBuffer(gx, gradOut, (long) batch * in.size());
    FloatBuffer out = gradIn.bytes().asFloatBuffer();
    float keepScale = (float) (1 / (1 - p));
    for (int i = 0; i < batch * in.size(); i++) {
      out.put(i, StochasticRounding.uniform(key, i) < p ? 0f : g.get(i) * keepScale);
    }
    return gradIn;
  }
}
