package io.sparkint8.nn;

import io.sparkint8.kernels.memory.Float32Buffer;
import io.sparkint8.nn.spec.Shape;
import java.util.List;

/** Layers applied in order; the backward pass runs them in reverse. Owns (and closes) its layers. */
public final class Sequential extends Layer {
  private final List<Layer> layers;

  public Sequential(LayerContext ctx, Shape in, int maxBatch, List<Layer> layers) {
    super(ctx, in, maxBatch, "seq");
    if (layers.isEmpty()) {
      throw new IllegalArgumentException("a sequence needs at least one layer");
    }
    Shape s = in;
    for (Layer l : layers) {
      if (!l.inputShape().equals(s)) {
        throw new IllegalArgumentException(
            l.describe() + " expects " + l.inputShape() + " but receives " + s);
      }
      s = l.outputShape();
    }
    this.layers = List.copyOf(layers);
  }

  @Override
  public List<Layer> children() {
    return layers;
  }

  @Override
  public Shape outputShape() {
    return layers.get(layers.size() - 1).outputShape();
  }

  @Override
  public String describe() {
    StringBuilder sb = new StringBuilder();
    for (Layer l : layers) {
      sb.append(sb.length() == 0 ? "" : "-").append(l.describe());
    }
    return sb.toString();
  }

  @Override
  public Float32Buffer forward(Float32Buffer x, int batch, boolean training) {
    Float32Buffer h = x;
    LayerContext.Observer obs = ctx.observer();
    for (Layer l : layers) {
      if (obs != null) {
        obs.enter(l);
      }
      h = l.forward(h, batch, training);
      if (obs != null) {
        obs.exit(l);
      }
    }
    return h;
  }

  @Override
  public Float32Buffer backward(Float32Buffer gradOut, int batch, boolean needInputGrad) {
    Float32Buffer g = gradOut;
    LayerContext.Observer obs = ctx.observer();
    for (int i = layers.size() - 1; i >= 0; i--) {
      Layer l = layers.get(i);
      if (obs != null) {
        obs.enter(l);
      }
      g = l.backward(g, batch, i > 0 || needInputGrad);
      if (obs != null) {
        obs.exit(l);
      }
    }
    return g;
  }
}
