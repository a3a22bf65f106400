/**
 * Training in one JVM without Spark: {@link io.sparkint8.local.LocalTrainer} over a packed {@link
 * io.sparkint8.local.Dataset}, with an {@link io.sparkint8.local.EpochReport} per epoch; {@link
 * io.sparkint8.local.FashionMnistDataset} loads the data set the tests and benchmarks use, parsing
 * the IDX files with arrow-io's {@code IdxReader} (its plain-Java part).
 *
 * <p>What it shares with the Spark trainer lives in {@code io.sparkint8.step}: the settings
 * ({@code TrainingConfig}), the batch slicer (permutation + gather) and the update that ends every
 * step ({@code StepUpdate}: optimizer step, per-layer DCLRS factors, running BatchNorm statistics).
 * What stays here is the loop itself: one partition, the batch size as the slice, the mean
 * gradient taken from the step's own sums. It is a peer of {@code io.sparkint8.train}: it never
 * imports it, {@code io.sparkint8.ml} or Spark (a test enforces it).
 */
package io.sparkint8.local;
