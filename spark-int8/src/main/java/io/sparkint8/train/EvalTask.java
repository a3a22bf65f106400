package io.sparkint8.train;

import io.sparkint8.arrow.PackedShard;
import io.sparkint8.kernels.memory.Float32Buffer;
import io.sparkint8.nn.Network;
import java.io.Serializable;
import java.nio.FloatBuffer;
import java.util.Collections;
import java.util.Iterator;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;

/** Counts (correct, rows) of a shard under the broadcast state, BN in inference mode. */
final class EvalTask implements FlatMapFunction<Iterator<PackedShard>, long[]>, Serializable {
  private static final long serialVersionUID = 1L;

  private final String poolKey;
  private final Broadcast<byte[]> state;
  private final String backend;
  private final int maxBatch;

  EvalTask(String poolKey, Broadcast<byte[]> state, String backend, int maxBatch) {
    this.poolKey = poolKey;
    this.state = state;
    this.backend = backend;
    this.maxBatch = maxBatch;
  }

  @Override
  public Iterator<long[]> call(Iterator<PackedShard> shards) {
    long correct = 0;
    long rows = 0;
    while (shards.hasNext()) {
      PackedShard shard = shards.next();
      if (shard.rows() == 0) {
        continue;
      }
      WorkerPool.Pooled pooled = WorkerPool.borrow(poolKey, state.value(), backend, maxBatch);
      try {
        Network net = pooled.network();
        int len = shard.featureLength();
        int classes = net.numClasses();
        FloatBuffer x = pooled.input().bytes().asFloatBuffer();
        for (int from = 0; from < shard.rows(); from += maxBatch) {
          int n = Math.min(maxBatch, shard.rows() - from);
          x.put(0, shard.features(), from * len, n * len);
          Float32Buffer logits = net.forward(pooled.input(), n, false);
          FloatBuffer z = logits.bytes().asFloatBuffer();
          for (int i = 0; i < n; i++) {
            if (Predictions.argmax(z, i * classes, classes) == shard.labels()[from + i]) {
              correct++;
            }
          }
          rows += n;
        }
      } finally {
        WorkerPool.giveBack(pooled);
      }
    }
    return Collections.singletonList(new long[] {correct, rows}).iterator();
  }
}
