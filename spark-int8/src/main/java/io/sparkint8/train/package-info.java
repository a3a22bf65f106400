/**
 * Distributed training on Spark (DESIGN.md §3, ALGORITHMS.md §9): the driver's step loop, the
 * Spark tasks that run the engine's step on each partition, and what a step sends back to the
 * driver and how it crosses the wire. What it shares with the local trainer lives in {@code
 * io.sparkint8.step}: the settings ({@code TrainingConfig}), the batch slicer a task gathers its
 * rows with, the per-layer DCLRS factors ({@code LayerFactors}) a worker reports and the update
 * ({@code StepUpdate}) that ends every step on the driver.
 *
 * <ul>
 *   <li>{@link io.sparkint8.train.DistributedTrainer}: the driver's loop over epochs and steps
 *       (broadcast state, one {@link io.sparkint8.train.StepTask} per partition, treeAggregate,
 *       then the shared {@code StepUpdate}), configured by a {@code step.TrainingConfig} and
 *       reporting an {@link io.sparkint8.train.EpochSummary} per epoch; {@code EvalTask} counts validation accuracy;
 *       {@code BroadcastReaper} destroys the spent state broadcasts off the loop's thread.
 *   <li>Executor side: {@link io.sparkint8.train.WorkerPool} keeps each executor's networks
 *       between steps, {@code TaskBackend} picks the task's kernel backend (its GPU under Spark's
 *       resource scheduling), {@code WorkerReport} carries a worker's clipping decisions back, and
 *       {@link io.sparkint8.train.KeptSteps} keeps the latest step's results so that a saturation
 *       redo quantizes them again instead of computing the step again. A task quantizes its leaf
 *       with its network's native kernels ({@code BackendLeafQuantizer}), the same codes as
 *       {@code LeafQuantizer}'s Java loop.
 *   <li>{@link io.sparkint8.train.SharedScales}: the per-tensor clip S_b that every partition of a
 *       step quantizes its gradient with, so that the int8 codes of all partitions add exactly.
 *   <li>{@link io.sparkint8.train.GradientAccumulator}: one partition's contribution (int8 codes
 *       from stochastic rounding keyed by seed, step, partition and tensor) and the exact merge of
 *       contributions (int16 up to 258 addends, int32 beyond, never requantized), with the side
 *       statistics the driver needs ({@code StepStats}: loss, BatchNorm batch statistics,
 *       rectification loss; {@code WorkerReport}: DSGC's cosine sums), all summed exactly as
 *       fixed-point integers ({@code FixedSums}), so that a merged accumulator's size does not
 *       grow with the partitions it holds; fp32 gradients are summed exactly too ({@code
 *       Fp32Sums}).
 *   <li>{@link io.sparkint8.train.GradientAccumulatorSerializer}: the Kryo wire format, raw
 *       payload bytes at their current width plus small headers.
 *   <li>{@link io.sparkint8.train.Predictions}: argmax and softmax of logits, shared with the
 *       model's transform.
 *   <li>Checkpoints: {@link io.sparkint8.train.TrainerState} is what the driver's loop carries
 *       from one epoch to the next (master {@code ModelState}, optimizer state, shared scales,
 *       counters); the loop resumes from and saves it through a {@link
 *       io.sparkint8.train.Checkpointing}; {@link io.sparkint8.train.CheckpointStore} keeps
 *       checkpoints on a Hadoop FileSystem (temporary name, rename, manifest with SHA-256 sums
 *       written last, the newest two kept) and {@link io.sparkint8.train.TrainerStateCodec}
 *       encodes the part of the state a {@code ModelState} does not hold.
 * </ul>
 *
 * <p>Every merge is commutative and associative bit for bit, including the floating-point side
 * statistics, so the result does not depend on the shape of the aggregation tree or on the order
 * in which tasks finish, and a retried task contributes exactly what the first attempt would have.
 * This package imports Spark (RDDs, broadcasts, TaskContext), unlike the engine packages it
 * drives ({@code nn}, {@code quant}, {@code optim}, {@code step}). It is a peer of the local
 * trainer ({@code io.sparkint8.local}) and never imports it, nor {@code io.sparkint8.ml}, which
 * drives it (a test enforces both).
 */
package io.sparkint8.train;
