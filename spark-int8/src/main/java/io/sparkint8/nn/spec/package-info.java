/**
 * The network spec grammar and its shapes: the string a user writes to describe a model, e.g.
 * {@code conv(32,3)-bn-relu-maxpool(2)-fc(128)-relu-fc}, turned into an immutable, validated {@link
 * io.sparkint8.nn.spec.NetworkSpec}, and the shape of every layer for a given input.
 *
 * <ul>
 *   <li>{@link io.sparkint8.nn.spec.LayerSpec}: one record per layer kind, each printing its
 *       canonical grammar text; {@code SpecParser} and {@code Presets} ({@code mlp}, {@code
 *       lenet}, {@code cnn-small}, {@code resnet8}, {@code resnet20}) make them.
 *   <li>{@link io.sparkint8.nn.spec.NetworkSpec}: {@code parse}, {@code preset} and {@code
 *       shapes}.
 *   <li>{@link io.sparkint8.nn.spec.Shape}: the one shape type of the engine (channels x height x
 *       width, or flat features).
 *   <li>{@link io.sparkint8.nn.spec.NetworkShapes} and {@link io.sparkint8.nn.spec.LayerShape},
 *       computed by {@code ShapeInference}: per-layer input and output shapes and parameter counts,
 *       including the projection (1x1 conv with its stride, and bn) a residual block gets when its
 *       body changes the shape. A spec that does not fit its input is rejected here, with the
 *       layer's position and text; the layer package builds exactly these shapes.
 * </ul>
 *
 * <p>This is the engine's lowest package: of {@code io.sparkint8} it imports only the settings
 * vocabulary {@code io.sparkint8.labels} (a BatchNorm variant is a labelled enum; the layers
 * depend on the spec, never the other way) and never {@code org.apache.spark} (tests enforce
 * both), because a spec is parsed on the driver, in the local trainer and inside Spark tasks.
 */
package io.sparkint8.nn.spec;
