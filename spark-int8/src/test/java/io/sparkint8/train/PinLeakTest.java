package io.sparkint8.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkint8.ml.SparkTestSession;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import org.apache.spark.SparkException;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;

/**
 * Issue 15, acceptance 3: the Spark tests run with {@code spark.storage.exceptionOnPinLeak=true},
 * so a task that leaves a cached block's read lock fails its job; and the way a training task
 * takes its one shard ({@link StepTask#onlyShard}) leaves none.
 */
class PinLeakTest {
  /** Two partitions of one int[] each (int[]: the tests' Kryo requires registered classes). */
  private static JavaRDD<int[]> cachedOnePerPartition() {
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(SparkTestSession.get().sparkContext());
    JavaRDD<int[]> rdd = jsc.parallelize(Arrays.asList(new int[] {1, 2}, new int[] {3, 4}), 2)
        .cache();
    assertEquals(2, rdd.count());
    return rdd;
  }

  @Test
  void aTaskThatLeavesABlockLockFailsItsJob() {
    JavaRDD<int[]> rdd = cachedOnePerPartition();
    try {
      // reads the cached block's one element without draining its iterator: the lock stays held
      SparkException e = assertThrows(SparkException.class, () -> rdd.mapPartitions(
          it -> Collections.singletonList(it.next().length).iterator()).collect());
      assertTrue(String.valueOf(e.getMessage()).contains("block locks were not released"),
          e.getMessage());
    } finally {
      rdd.unpersist(true);
    }
  }

  @Test
  void takingTheOnlyShardReleasesTheLock() {
    JavaRDD<int[]> rdd = cachedOnePerPartition();
    try {
      List<Integer> sizes = rdd.mapPartitionsWithIndex((p, it) -> Collections.singletonList(
          StepTask.onlyShard(it, p).length).iterator(), true).collect();
      assertEquals(List.of(2, 2), sizes);
    } finally {
      rdd.unpersist(true);
    }
  }
}
