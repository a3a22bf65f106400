/**
 * Training in one JVM without Spark: {@link io.sparkint8.local.LocalTrainer} over an in-memory
 * {@link io.sparkint8.local.Dataset}, with its per-epoch {@link io.sparkint8.local.EpochReport}.
 *
 * <p>What it shares with the Spark trainer lives in {@code io.sparkint8.step}: the settings
 * ({@code TrainingConfig}), the batch slicer (permutation + gather) and the update that ends every
 * step ({@code StepUpdate}: optimizer step, per-layer DCLRS factors, running BatchNorm statistics).
 * What stays here is the loop itself: one partition, the batch size as the slice, the mean
 * gradient taken from the step's own sums. It is a peer of {@code io.sparkint8.train}, never
 * imports it, {@code io.sparkint8.ml} or Spark.
 */
package io.sparkint8.local;
