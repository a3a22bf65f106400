package io.sparkint8.nn.spec;

import java.util.ArrayList;
import java.util.List;

/**
 * Propagates a sample shape through a {@link NetworkSpec}, counting parameters and rejecting layers
 * that cannot apply to their input. Errors name the layer's position, its text and the offending
 * shape, so a user can find the layer in a long spec.
 */
final class ShapeInference {

  /** Path segment of a residual block's projection: "6.proj.1" is the projection's conv. */
  static final String PROJECTION = ".proj";

  private ShapeInference() {}

  static NetworkShapes infer(NetworkSpec spec, Shape input) {
    List<LayerShape> layers = propagate(spec.layers(), input, "");
    NetworkShapes shapes = new NetworkShapes(input, layers);
    LayerShape last = layers.get(layers.size() - 1);
    // The loss reads one logit per class; anything else is a spec error, not a runtime surprise.
    if (!shapes.output().flat() || shapes.output().channels() != spec.numClasses()) {
      throw fail(
          last,
          "the network output is "
              + shapes.output()
              + " but numClasses is "
              + spec.numClasses()
              + " (end with fc, or with gap after a conv of numClasses channels)");
    }
    return shapes;
  }

  private static List<LayerShape> propagate(List<LayerSpec> layers, Shape input, String prefix) {
    List<LayerShape> result = new ArrayList<>(layers.size());
    Shape current = input;
    for (int i = 0; i < layers.size(); i++) {
      LayerShape shape = layer(prefix + (i + 1), layers.get(i), current);
      result.add(shape);
      current = shape.output();
    }
    return result;
  }

  private static LayerShape layer(String position, LayerSpec layer, Shape in) {
    if (layer instanceof LayerSpec.Conv conv) {
      Shape out =
          window(position, layer, in, conv.outChannels(), conv.kernel(), conv.stride(), conv.pad());
      long params =
          (long) conv.outChannels() * in.channels() * conv.kernel() * conv.kernel()
              + (conv.bias() ? conv.outChannels() : 0);
      return LayerShape.simple(position, layer, in, out, params);
    }
    if (layer instanceof LayerSpec.MaxPool pool) {
      Shape out =
          window(position, layer, in, in.channels(), pool.kernel(), pool.stride(), pool.pad());
      return LayerShape.simple(position, layer, in, out, 0);
    }
    if (layer instanceof LayerSpec.AvgPool pool) {
      Shape out =
          window(position, layer, in, in.channels(), pool.kernel(), pool.stride(), pool.pad());
      return LayerShape.simple(position, layer, in, out, 0);
    }
    if (layer instanceof LayerSpec.GlobalAvgPool) {
      requireSpatial(position, layer, in);
      return LayerShape.simple(position, layer, in, Shape.features(in.channels()), 0);
    }
    if (layer instanceof LayerSpec.Flatten) {
      return LayerShape.simple(position, layer, in, Shape.features(in.size()), 0);
    }
    if (layer instanceof LayerSpec.Fc fc) {
      if (!in.flat()) {
        throw fail(position, layer, in, "fc needs a flat input (insert flatten or gap)");
      }
      if (fc.outFeatures() == LayerSpec.Fc.CLASSES) {
        throw fail(position, layer, in, "fc without a width was not resolved to numClasses");
      }
      long params = (long) in.channels() * fc.outFeatures() + fc.outFeatures();
      return LayerShape.simple(position, layer, in, Shape.features(fc.outFeatures()), params);
    }
    if (layer instanceof LayerSpec.Bn) {
      // gamma and beta per channel (or per feature after fc).
      return LayerShape.simple(position, layer, in, in, 2L * in.channels());
    }
    if (layer instanceof LayerSpec.Relu || layer instanceof LayerSpec.Dropout) {
      return LayerShape.simple(position, layer, in, in, 0);
    }
    if (layer instanceof LayerSpec.Residual res) {
      return residual(position, res, in);
    }
    throw new IllegalStateException("unhandled layer " + layer);
  }

  private static LayerShape residual(String position, LayerSpec.Residual res, Shape in) {
    List<LayerShape> body = propagate(res.body(), in, position + ".");
    Shape out = body.get(body.size() - 1).output();
    List<LayerShape> projection = List.of();
    if (!out.equals(in)) {
      int stride = projectionStride(in, out);
      if (stride < 1) {
        throw fail(
            position,
            res,
            in,
            "the body maps "
                + in
                + " to "
                + out
                + ", which no 1x1 strided projection of the shortcut can match");
      }
      List<LayerSpec> shortcut =
          List.of(new LayerSpec.Conv(out.channels(), 1, stride, 0, false), new LayerSpec.Bn());
      projection = propagate(shortcut, in, position + PROJECTION + ".");
    }
    long params =
        body.stream().mapToLong(LayerShape::params).sum()
            + projection.stream().mapToLong(LayerShape::params).sum();
    return new LayerShape(position, res, in, out, params, body, projection);
  }

  /**
   * The stride of a 1x1, unpadded conv taking {@code in} to {@code out}'s spatial size, or 0 when
   * there is none. Derived from the shapes rather than the body's strides, so pools in the body
   * work too.
   */
  private static int projectionStride(Shape in, Shape out) {
    if (in.flat() || out.flat() || out.height() > in.height() || out.width() > in.width()) {
      return 0;
    }
    int stride = ceilDiv(in.height(), out.height());
    boolean matches =
        ceilDiv(in.width(), out.width()) == stride
            && (in.height() - 1) / stride + 1 == out.height()
            && (in.width() - 1) / stride + 1 == out.width();
    return matches ? stride : 0;
  }

  private static Shape window(
      String position,
      LayerSpec layer,
      Shape in,
      int outChannels,
      int kernel,
      int stride,
      int pad) {
    requireSpatial(position, layer, in);
    int paddedHeight = in.height() + 2 * pad;
    int paddedWidth = in.width() + 2 * pad;
    if (paddedHeight < kernel || paddedWidth < kernel) {
      throw fail(
          position,
          layer,
          in,
          "kernel "
              + kernel
              + " is larger than the padded input "
              + paddedHeight
              + "x"
              + paddedWidth);
    }
    int height = (paddedHeight - kernel) / stride + 1;
    int width = (paddedWidth - kernel) / stride + 1;
    if ((long) outChannels * height * width > Integer.MAX_VALUE) {
      throw fail(
          position,
          layer,
          in,
          "the output "
              + outChannels
              + "x"
              + height
              + "x"
              + width
              + " has more than 2^31 - 1 values per sample");
    }
    return Shape.chw(outChannels, height, width);
  }

  private static void requireSpatial(String position, LayerSpec layer, Shape in) {
    if (in.flat()) {
      throw fail(position, layer, in, "needs a C x H x W input, got flat features");
    }
  }

  private static int ceilDiv(int a, int b) {
    return (a + b - 1) / b;
  }

  private static IllegalArgumentException fail(LayerShape layer, String what) {
    return fail(layer.position(), layer.layer(), layer.output(), what);
  }

  private static IllegalArgumentException fail(
      String position, LayerSpec layer, Shape shape, String what) {
    return new IllegalArgumentException(
        "layer " + position + " '" + layer + "' (shape " + shape + "): " + what);
  }
}
