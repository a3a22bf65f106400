/**
 * The training step both trainers run, and the settings that drive it. The local trainer ({@code
 * io.sparkint8.local}) and the Spark trainer ({@code io.sparkint8.train}) are peers that share
 * this package and never import each other.
 *
 * <ul>
 *   <li>{@link io.sparkint8.step.TrainingConfig}: one immutable, validated config (engine,
 *       optimizer, learning-rate schedule and scaling, warmup, batch, epochs, shuffle seed, and the
 *       Spark trainer's aggregation, depth and executor {@link io.sparkint8.step.KernelBackend}).
 *   <li>{@link io.sparkint8.step.BatchSlicer}: a block of packed rows shuffled per epoch and cut
 *       into slices, each gathered into a network's input; each trainer keeps its own order seed.
 *   <li>{@link io.sparkint8.step.LayerFactors}: the per-layer DCLRS learning-rate factors a step
 *       measured (with the deviation and error gain behind them).
 *   <li>{@link io.sparkint8.step.StepUpdate}: what ends every step: mean gradients, global batch
 *       statistics, factors and learning rate in, one optimizer step and one move of the running
 *       BatchNorm statistics out.
 * </ul>
 *
 * <p>Engine code: it depends on {@code nn}, {@code optim}, {@code quant} and {@code labels},
 * never on {@code local}, {@code train}, {@code ml} or Spark (tests enforce it).
 */
package io.sparkint8.step;
