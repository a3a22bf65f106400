/**
 * Training in one JVM without Spark: {@link io.sparkint8.local.LocalTrainer} runs the same step
 * code a Spark task runs over a packed {@link io.sparkint8.local.Dataset} and reports an {@link
 * io.sparkint8.local.EpochReport} per epoch; {@link io.sparkint8.local.FashionMnistDataset} loads
 * the data set the tests and benchmarks use, parsing the IDX files with arrow-io's {@code
 * IdxReader} (its plain-Java part). Never imports Spark (a test enforces it).
 */
package io.sparkint8.local;
