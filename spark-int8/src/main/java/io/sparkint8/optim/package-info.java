/**
 * The optimizers and learning-rate schedules of the engine (ALGORITHMS.md §2 DCLRS, §8 large
 * batch). They run on the driver, over the fp32 master weights held in heap {@code float[]} arrays.
 *
 * <ul>
 *   <li>{@link io.sparkint8.optim.Parameter}: a named weight tensor, its gradient, whether weight
 *       decay (and the LARS/LAMB trust ratio) applies, and the per-layer LR factor (DCLRS φ).
 *   <li>{@link io.sparkint8.optim.Optimizer}: SGD (momentum, Nesterov), LARS, Adam, AdamW and LAMB,
 *       made from a validated {@link io.sparkint8.optim.OptimizerConfig} by {@link
 *       io.sparkint8.optim.Optimizers}; their state round-trips through {@link
 *       io.sparkint8.optim.OptimizerState} for checkpoints.
 *   <li>{@link io.sparkint8.optim.LrSchedule}: constant, step and cosine schedules with a linear
 *       {@link io.sparkint8.optim.Warmup}, and {@link io.sparkint8.optim.LinearScaling} (Goyal et
 *       al.).
 * </ul>
 *
 * <p>Reproducibility: every element update is float arithmetic in the order its javadoc writes
 * (Java float arithmetic is strict since Java 17, and no fused multiply-add is used); norms
 * accumulate in double, in index order; transcendental functions come from {@link
 * java.lang.StrictMath}. Nothing is random. So the same inputs give the same weights bit for bit on
 * every JVM.
 *
 * <p>This package is Spark-free: it never imports {@code org.apache.spark} (a test enforces it),
 * because the local trainer and the Spark driver share it.
 */
package io.sparkint8.optim;
