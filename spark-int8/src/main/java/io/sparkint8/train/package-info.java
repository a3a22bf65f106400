/**
 * Distributed training on Spark (DESIGN.md §3, ALGORITHMS.md §9): the driver's step loop, the
 * Spark tasks that run the engine's step on each partition, and what a step sends back to the
 * driver and how it crosses the wire.
 *
 * <ul>
 *   <li>{@link io.sparkint8.train.DistributedTrainer}: the driver's loop over epochs and steps
 *       (broadcast state, one {@link io.sparkint8.train.StepTask} per partition, treeAggregate,
 *       optimizer update, running BatchNorm statistics), configured by {@link
 *       io.sparkint8.train.TrainSettings} and reporting an {@link
 *       io.sparkint8.train.EpochSummary} per epoch; {@code EvalTask} counts validation accuracy.
 *   <li>Executor side: {@link io.sparkint8.train.WorkerPool} keeps each executor's networks
 *       between steps, {@code TaskBackend} picks the task's kernel backend (its GPU under Spark's
 *       resource scheduling), {@code WorkerReport} carries a worker's clipping decisions back.
 *   <li>{@link io.sparkint8.train.SharedScales}: the per-tensor clip S_b that every partition of a
 *       step quantizes its gradient with, so that the int8 codes of all partitions add exactly.
 *   <li>{@link io.sparkint8.train.GradientAccumulator}: one partition's contribution (int8 codes
 *       from stochastic rounding keyed by seed, step, partition and tensor) and the exact merge of
 *       contributions (int16 up to 258 addends, int32 beyond, never requantized), with the side
 *       statistics the driver needs ({@code PartitionStats}: loss, BatchNorm batch statistics,
 *       rectification loss, kept per partition and folded in partition order).
 *   <li>{@link io.sparkint8.train.GradientAccumulatorSerializer}: the Kryo wire format, raw
 *       payload bytes at their current width plus small headers.
 *   <li>{@link io.sparkint8.train.Predictions}: argmax and softmax of logits, shared with the
 *       model's transform.
 * </ul>
 *
 * <p>Every merge is commutative and associative bit for bit, including the floating-point side
 * statistics, so the result does not depend on the shape of the aggregation tree or on the order
 * in which tasks finish, and a retried task contributes exactly what the first attempt would have.
 * This package imports Spark (RDDs, broadcasts, TaskContext), unlike the engine packages it
 * drives ({@code nn}, {@code quant}, {@code optim}, {@code local}); it never imports {@code
 * io.sparkint8.ml}, which drives it.
 */
package io.sparkint8.train;
