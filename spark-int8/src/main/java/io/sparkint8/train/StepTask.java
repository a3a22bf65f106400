package io.sparkint8.train;

import io.sparkint8.arrow.PackedShard;
import io.sparkint8.local.LocalTrainer;
import io.sparkint8.nn.Network;
import io.sparkint8.nn.StepResult;
import java.io.Serializable;
import java.nio.FloatBuffer;
import java.util.Collections;
import java.util.Iterator;
import java.util.SplittableRandom;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.Function2;
import org.apache.spark.broadcast.Broadcast;

/**
 * One training step on one partition, as a Spark task: take this step's slice of the cached
 * shard, run the engine's step with the broadcast state, and return the leaf of the gradient
 * aggregation. Everything the result depends on is in this object or the broadcast (seed, step,
 * partition), so a retried task returns the same bytes.
 *
 * <p>Slicing: every epoch each partition shuffles its rows with a generator keyed by (seed, epoch,
 * partition) and cuts them into {@code stepsPerEpoch} consecutive slices of ceil(rows /
 * stepsPerEpoch) rows, so an epoch visits every row once and the global batch is about
 * batchSize.
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
  private final long seed;
  private final float[] scales;
  private final long failOnceAtStep;

  StepTask(String poolKey, Broadcast<byte[]> state, String backend, int maxBatch, long step,
      int epoch, int stepInEpoch, int stepsPerEpoch, long seed, float[] scales,
      long failOnceAtStep) {
    this.poolKey = poolKey;
    this.state = state;
    this.backend = backend;
    this.maxBatch = maxBatch;
    this.step = step;
    this.epoch = epoch;
    this.stepInEpoch = stepInEpoch;
    this.stepsPerEpoch = stepsPerEpoch;
    this.seed = seed;
    this.scales = scales;
    this.failOnceAtStep = failOnceAtStep;
  }

  /** Rows per step of a partition holding {@code rows} rows. */
  static int sliceRows(int rows, int stepsPerEpoch) {
    return (rows + stepsPerEpoch - 1) / stepsPerEpoch;
  }

  /** The shuffled order of a partition's rows in one epoch. */
  static int[] order(int rows, long seed, int epoch, int partition) {
    return LocalTrainer.permutation(rows,
        new SplittableRandom(seed * 0x9E3779B97F4A7C15L + epoch * 1_000_003L + partition));
  }

  /**
   * The one packed shard of a partition. Reading the iterator to its end is what releases the
   * cached block's read lock (Spark's completion iterator), so the task never leaves it pinned.
   */
  static PackedShard onlyShard(Iterator<PackedShard> shards, int partition) {
    PackedShard shard = shards.next();
    if (shards.hasNext()) {
      throw new IllegalStateException("partition " + partition + " holds more than one packed "
          + "shard; expected exactly one per partition");
    }
    return shard;
  }

  @Override
  public Iterator<GradientAccumulator> call(Integer partition, Iterator<PackedShard> shards) {
    if (!shards.hasNext()) {
      return Collections.singletonList(GradientAccumulator.empty()).iterator();
    }
    PackedShard shard = onlyShard(shards, partition);
    int per = sliceRows(shard.rows(), stepsPerEpoch);
    int from = Math.min(shard.rows(), stepInEpoch * per);
    int rows = Math.min(per, shard.rows() - from);
    if (rows <= 0) {
      return Collections.singletonList(GradientAccumulator.empty()).iterator();
    }
    maybeFail(partition);
    WorkerPool.Pooled pooled = WorkerPool.borrow(poolKey, state.value(), backend, maxBatch);
    try {
      Network net = pooled.network();
      int[] ord = order(shard.rows(), seed, epoch, partition);
      int len = shard.featureLength();
      FloatBuffer x = pooled.input().bytes().asFloatBuffer();
      int[] labels = pooled.labels();
      float[] src = shard.features();
      for (int i = 0; i < rows; i++) {
        int r = ord[from + i];
        x.put(i * len, src, r * len, len);
        labels[i] = shard.labels()[r];
      }
      net.context().beginStep(step, partition);
      StepResult result = net.trainStep(pooled.input(), labels, 0, rows);
      WorkerReport report = WorkerReport.of(partition, net);
      GradientAccumulator leaf = scales == null
          ? GradientAccumulator.ofFp32(result, step, partition, report)
          : GradientAccumulator.of(result, SharedScales.of(scales), seed, step, partition, report);
      return Collections.singletonList(leaf).iterator();
    } finally {
      WorkerPool.giveBack(pooled);
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
