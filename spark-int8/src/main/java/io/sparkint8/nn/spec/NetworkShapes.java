package io.sparkint8.nn.spec;

import java.util.List;
import java.util.stream.Collectors;

/** The result of {@link NetworkSpec#shapes}: the input shape and one entry per top-level layer. */
public record NetworkShapes(Shape input, List<LayerShape> layers) {

  public NetworkShapes {
    layers = List.copyOf(layers);
    if (layers.isEmpty()) {
      throw new IllegalArgumentException("a network has at least one layer");
    }
  }

  /** Shape of the network's output. */
  public Shape output() {
    return layers.get(layers.size() - 1).output();
  }

  /** Trainable parameters of the whole network. */
  public long totalParams() {
    return layers.stream().mapToLong(LayerShape::params).sum();
  }

  /** One line per top-level layer and a total, for logs. */
  @Override
  public String toString() {
    return layers.stream().map(LayerShape::toString).collect(Collectors.joining("\n", "", "\n"))
        + "input "
        + input
        + ", output "
        + output()
        + ", "
        + totalParams()
        + " params";
  }
}
