package io.sparkint8.nn.spec;

import java.util.List;

/**
 * What shape inference says about one layer.
 *
 * @param position 1-based path of the layer: {@code "4"} at the top level, {@code "4.2"} for the
 *     second layer in the body of the residual block at position 4, {@code "4.proj.1"} for the
 *     first layer of its projection
 * @param layer the layer spec
 * @param input the shape entering the layer
 * @param output the shape leaving it
 * @param params trainable parameters (weights, biases, bn gamma and beta; running statistics are
 *     state, not parameters), including the body and projection of a residual block
 * @param body the body's layer shapes for a residual block, empty otherwise
 * @param projection the shortcut layers of a residual block whose body changes the shape (a 1x1
 *     conv, strided to the body's spatial reduction, and a bn) with their shapes, empty for an
 *     identity shortcut and for every other layer
 */
public record LayerShape(
    String position,
    LayerSpec layer,
    Shape input,
    Shape output,
    long params,
    List<LayerShape> body,
    List<LayerShape> projection) {

  public LayerShape {
    body = List.copyOf(body);
    projection = List.copyOf(projection);
  }

  /** A layer without body or projection. */
  static LayerShape simple(
      String position, LayerSpec layer, Shape input, Shape output, long params) {
    return new LayerShape(position, layer, input, output, params, List.of(), List.of());
  }

  @Override
  public String toString() {
    return position + " " + layer + ": " + input + " -> " + output + ", " + params + " params";
  }
}
