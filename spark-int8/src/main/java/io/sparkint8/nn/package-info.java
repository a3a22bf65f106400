/**
 * The layer engine: a network built from a {@link io.sparkint8.nn.spec.NetworkSpec}, one training
 * step of it, and the saved form of a trained one.
 *
 * <ul>
 *   <li>{@link io.sparkint8.nn.Network}: builds the layers from the shapes {@code
 *       NetworkSpec.shapes} inferred (every layer's input and output, each residual block's
 *       projection and its stride), runs forward and backward and returns a {@link
 *       io.sparkint8.nn.StepResult} (gradients, {@link io.sparkint8.nn.BnStats}, {@link
 *       io.sparkint8.nn.LayerStats}).
 *   <li>Layers, a tree of {@link io.sparkint8.nn.Layer}s each with a stable {@code name()}
 *       ("conv3", "bn4") and {@code children()}: the containers {@link io.sparkint8.nn.Sequential}
 *       and {@link io.sparkint8.nn.Residual}; the leaves {@link io.sparkint8.nn.Conv2d}, {@link
 *       io.sparkint8.nn.Linear} (both on {@code GemmCore}, the three GEMMs of a linear map in the
 *       configured precision), {@link io.sparkint8.nn.BatchNorm}, {@link io.sparkint8.nn.Relu},
 *       {@link io.sparkint8.nn.Pool2d}, {@link io.sparkint8.nn.Flatten}, {@link
 *       io.sparkint8.nn.Dropout}; and the loss, {@link io.sparkint8.nn.SoftmaxCrossEntropy}.
 *   <li>{@link io.sparkint8.nn.EngineConfig}, {@link io.sparkint8.nn.Precision} and {@link
 *       io.sparkint8.nn.WeightScaling}: how a network trains; {@link io.sparkint8.nn.LayerContext}: what the layers of one network share
 *       (backend, allocator, config, the step's position for random streams).
 *   <li>{@link io.sparkint8.nn.ModelState}: a trained model's snapshot and its binary format
 *       ({@code ModelStateCodec}), keyed by layer and parameter names.
 * </ul>
 *
 * <p>Depends on the kernels ({@code io.sparkint8.kernels}), the spec ({@code nn.spec}), the
 * clipping strategies ({@code quant}), {@code optim.Parameter} and the settings vocabulary ({@code
 * labels}); never on {@code step}, {@code local}, {@code train} or {@code ml}, and never imports {@code org.apache.spark} (tests enforce both), because
 * the same step runs in the local trainer and inside Spark tasks.
 */
package io.sparkint8.nn;
