/**
 * What one distributed training step sends back to the driver, and how it crosses the wire
 * (DESIGN.md §3, ALGORITHMS.md §9).
 *
 * <ul>
 *   <li>{@link io.sparkint8.train.SharedScales}: the per-tensor clip S_b that every partition of a
 *       step quantizes its gradient with, so that the int8 codes of all partitions add exactly.
 *   <li>{@link io.sparkint8.train.GradientAccumulator}: one partition's contribution (int8 codes
 *       from stochastic rounding keyed by seed, step, partition and tensor) and the exact merge of
 *       contributions (int16 up to 258 addends, int32 beyond, never requantized), with the side
 *       statistics the driver needs: max|g| per tensor, BatchNorm batch statistics, loss, correct
 *       count, rows, rectification loss and clipped values.
 *   <li>{@link io.sparkint8.train.GradientAccumulatorSerializer}: the Kryo wire format, raw
 *       payload bytes at their current width plus small headers.
 * </ul>
 *
 * <p>Every merge is commutative and associative bit for bit, including the floating-point side
 * statistics, so the result does not depend on the shape of the aggregation tree or on the order
 * in which tasks finish, and a retried task contributes exactly what the first attempt would have.
 * The classes here do not import Spark yet; the Spark glue that drives them will live beside them.
 */
package io.sparkint8.train;
