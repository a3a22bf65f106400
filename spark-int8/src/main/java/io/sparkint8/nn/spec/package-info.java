/**
 * The network spec grammar: the string a user writes to describe a model, e.g. {@code
 * conv(32,3)-bn-relu-maxpool(2)-fc(128)-relu-fc}, turned into an immutable, validated {@link
 * io.sparkint8.nn.spec.NetworkSpec}.
 *
 * <ul>
 *   <li>{@link io.sparkint8.nn.spec.LayerSpec}: one record per layer kind, each printing its
 *       canonical grammar text.
 *   <li>{@link io.sparkint8.nn.spec.NetworkSpec}: {@code parse}, {@code preset} ({@code mlp},
 *       {@code lenet}, {@code cnn-small}, {@code resnet8}, {@code resnet20}) and {@code shapes}.
 *   <li>{@link io.sparkint8.nn.spec.NetworkShapes}: per-layer shapes and parameter counts,
 *       including the projection a residual block gets when its body changes the shape.
 * </ul>
 *
 * <p>Nothing here builds tensors or layers: the layer package reads a spec and its shapes. This
 * package is Spark-free: it never imports {@code org.apache.spark} (a test enforces it), because a
 * spec is parsed on the driver, in the local trainer and inside Spark tasks alike.
 */
package io.sparkint8.nn.spec;
