package io.sparkint8.nn;

import io.sparkint8.kernels.memory.Float32Buffer;
import io.sparkint8.nn.spec.Shape;
import java.util.List;

/** Layers applied in order; the backward pass runs them in reverse. Owns (and closes) its layers. */
public final class Sequential extends Layer {
  private final List<Layer> layers;
  private final int firstWithParameters;

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
    this.firstWithParameters = firstWithParameters(this.layers);
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

  /**
   * Runs the layers' backward passes in reverse. When the caller needs no input gradient, the
   * layers in front of the first one with parameters (an implicit flatten before an MLP's first fc)
   * need none either: the first parameterised layer is told so (it runs no grad_input GEMM) and the
   * ones in front of it are not run; they have nothing to learn.
   */
  @Override
  public Float32Buffer backward(Float32Buffer gradOut, int batch, boolean needInputGrad) {
    Float32Buffer g = gradOut;
    LayerContext.Observer obs = ctx.observer();
    int first = needInputGrad ? 0 : firstWithParameters;
    for (int i = layers.size() - 1; i >= first; i--) {
      Layer l = layers.get(i);
      if (obs != null) {
        obs.enter(l);
      }
      g = l.backward(g, batch, i > first || needInputGrad);
      if (obs != null) {
        obs.exit(l);
      }
    }
    return g;
  }

  /** The index of the first layer with parameters (0 when none has any). */
  private static int firstWithParameters(List<Layer> layers) {
    for (int i = 0; i < layers.size(); i++) {
      if (!layers.get(i).parameters().isEmpty()) {
        return i;
      }
    }
    return 0;
  }
}
