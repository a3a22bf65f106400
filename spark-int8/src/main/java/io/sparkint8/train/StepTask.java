package io.sparkint8.train;

import io.sparkint8.arrow.PackedShard;
import io.sparkint8.nn.Network;
import io.sparkint8.nn.StepResult;
import io.sparkint8.step.BatchSlicer;
import java.io.Serializable;
import java.util.Collections;
import java.util.Iterator;
import java.util.function.BiFunction;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.Function2;
import org.apache.spark.broadcast.Broadcast;

/**
 * One training step on one partition, as a Spark task: take this step's slice of the cached
 * shard, run the engine's step with the broadcast state, and return the leaf of the gradient
 * aggregation. Everything the result depends on is in this object or the broadcast (seed, step,
 * partition), so a retried task returns the same bytes.
 *
 * <p>Slicing ({@link BatchSlicer}): every epoch each partition shuffles its rows with a
 * generator keyed by (shuffle seed, epoch, partition) and cuts them into {@code stepsPerEpoch}
 * consecutive slices of ceil(rows / stepsPerEpoch) rows, so an epoch visits every row once and the
 * global batch is about batchSize.
 */
final class StepTask implements
    Function2<Integer, Iterator<PackedShard>, Iterator<GradientAccumulator>>, Serializable {
  private static final long serialVersionUID = 1L;

  private final String poolKey;
  private final Broadcast<byte[]> state;
  private final String backend;
  private final int maxBatch;
  private final long step;
  private final int epoch;
  private final int stepInEpoch;
  private final int stepsPerEpoch;
  private final long shuffleSeed;
  private final long roundingSeed;
  private final float[] scales;
  private final long failOnceAtStep;
  private final int threads;

  StepTask(String poolKey, Broadcast<byte[]> state, String backend, int maxBatch, long step,
      int epoch, int stepInEpoch, int stepsPerEpoch, long shuffleSeed, long roundingSeed,
      float[] scales, long failOnceAtStep, int threads) {
    this.poolKey = poolKey;
    this.state = state;
    this.backend = backend;
    this.maxBatch = maxBatch;
    this.step = step;
    this.epoch = epoch;
    this.stepInEpoch = stepInEpoch;
    this.stepsPerEpoch = stepsPerEpoch;
    this.shuffleSeed = shuffleSeed;
    this.roundingSeed = roundingSeed;
    this.scales = scales;
    this.failOnceAtStep = failOnceAtStep;
    this.threads = threads;
  }

  /** The seed of a partition's row order in one epoch. */
  static long orderSeed(long shuffleSeed, int epoch, int partition) {
    return shuffleSeed * 0x9E3779B97F4A7C15L + epoch * 1_000_003L + partition;
  }

  /**
   * The one packed shard of a partition. Reading the iterator to its end is what releases the
   * cached block's read lock (Spark's completion iterator), so the task never leaves it pinned.
   */
  static <T> T onlyShard(Iterator<T> shards, int partition) {
    T shard = shards.next();
    if (shards.hasNext()) {
      throw new IllegalStateException("partition " + partition + " holds more than one packed "
          + "shard; expected exactly one per partition");
    }
    return shard;
  }

  @Override
  public Iterator<GradientAccumulator> call(Integer partition, Iterator<PackedShard> shards) {
    if (!shards.hasNext()) {
      return single(GradientAccumulator.empty());
    }
    PackedShard shard = onlyShard(shards, partition);
    BatchSlicer slicer = new BatchSlicer(shard.features(), shard.labels(), shard.rows(),
        shard.featureLength(), BatchSlicer.sliceRows(shard.rows(), stepsPerEpoch),
        orderSeed(shuffleSeed, epoch, partition));
    if (slicer.sliceSize(stepInEpoch) == 0) {
      return single(GradientAccumulator.empty());
    }
    maybeFail(partition);
    if (scales == null) {
      return single(compute(slicer, partition, (pooled, kept) ->
          GradientAccumulator.ofFp32(kept.result(), step, partition, kept.report())));
    }
    // an int8 step may be redone with other scales (GradientSaturation): keep what the scales do
    // not change, so that the redo only quantizes again (with the Java loop: it borrows no network)
    SharedScales shared = SharedScales.of(scales);
    KeptSteps.Key key = new KeptSteps.Key(poolKey, state.id(), step, partition);
    KeptSteps.Kept kept = KeptSteps.take(key);
    if (kept != null) {
      return single(GradientAccumulator.of(kept.result(), shared, roundingSeed, step, partition,
          kept.report()));
    }
    return single(compute(slicer, partition, (pooled, computed) -> {
      GradientAccumulator leaf = GradientAccumulator.of(computed.result(), shared, roundingSeed,
          step, partition, computed.report(), pooled.leafQuantizer());
      KeptSteps.keep(key, computed);
      return leaf;
    }));
  }

  private static Iterator<GradientAccumulator> single(GradientAccumulator leaf) {
    return Collections.singletonList(leaf).iterator();
  }

  /**
   * The engine's step on this step's slice, with a pooled network holding the broadcast state,
   * and the task's leaf that {@code leaf} builds from it while the network (and its kernels'
   * scratch) is still borrowed.
   */
  private GradientAccumulator compute(BatchSlicer slicer, int partition,
      BiFunction<WorkerPool.Pooled, KeptSteps.Kept, GradientAccumulator> leaf) {
    WorkerPool.Pooled pooled = WorkerPool.borrow(poolKey, state.value(), backend, threads,
        maxBatch);
    try {
      Network net = pooled.network();
      int rows = slicer.gather(stepInEpoch, pooled.input(), pooled.labels());
      net.context().beginStep(step, partition);
      StepResult result = net.trainStep(pooled.input(), pooled.labels(), 0, rows);
      maybeSpike(result);
      return leaf.apply(pooled, new KeptSteps.Kept(result, WorkerReport.of(partition, net)));
    } finally {
      WorkerPool.giveBack(pooled);
    }
  }

  // Test hook (GradientSaturation.TEST_SPIKE_AT_STEP): this step's gradients times 10.
  private void maybeSpike(StepResult result) {
    TaskContext tc = TaskContext.get();
    String at = tc == null ? null : tc.getLocalProperty(GradientSaturation.TEST_SPIKE_AT_STEP);
    if (at != null && Long.parseLong(at) == step) {
      for (float[] g : result.gradients()) {
        for (int i = 0; i < g.length; i++) {
          g[i] *= GradientSaturation.TEST_SPIKE_FACTOR;
        }
      }
    }
  }

  // Test hook: the first attempt of partition 0 at step failOnceAtStep throws; Spark retries it.
  private void maybeFail(int partition) {
    TaskContext tc = TaskContext.get();
    if (step == failOnceAtStep && partition == 0 && tc != null && tc.attemptNumber() == 0) {
      throw new IllegalStateException("spark-int8 test hook: injected failure of partition 0 at "
          + "step " + step + " (attempt 0)");
    }
  }
}
