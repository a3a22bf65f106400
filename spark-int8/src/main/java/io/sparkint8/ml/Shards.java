package io.sparkint8.ml;

import io.sparkint8.arrow.FeatureColumn;
import io.sparkint8.arrow.LabelColumn;
import io.sparkint8.arrow.PackedShard;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.SparkException;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.storage.StorageLevel;

/**
 * Converts a DataFrame once per fit into one cached {@link PackedShard} per partition. Packing
 * validates every row (features, labels), so bad input fails here, before the first step.
 */
final class Shards {
  private Shards() {}

  static JavaRDD<PackedShard> pack(Dataset<Row> df, FeatureColumn features, LabelColumn labels) {
    int featureField = df.schema().fieldIndex(features.name());
    int labelField = df.schema().fieldIndex(labels.name());
    JavaRDD<PackedShard> shards = df.toJavaRDD().mapPartitionsWithIndex(
        (partition, rows) -> Collections.singletonList(PackedShard.pack(partition, rows, features,
            featureField, labels, labelField)).iterator(), true);
    shards.setName("spark-int8 packed shards");
    return shards.persist(StorageLevel.MEMORY_AND_DISK());
  }

  /** Rows of every partition, in partition order (packs and validates the data). */
  static long[] rowsPerPartition(JavaRDD<PackedShard> shards) {
    List<long[]> counts = run(() -> shards.mapPartitions(Shards::partitionRows).collect());
    long[] rows = new long[counts.size()];
    for (long[] c : counts) {
      rows[(int) c[0]] = c[1];
    }
    return rows;
  }

  static int maxLabel(JavaRDD<PackedShard> shards) {
    return run(() -> shards.mapPartitions(Shards::partitionMaxLabel).fold(-1, Math::max));
  }

  // Each reads its partition's iterator to the end with hasNext(): that is what releases the read
  // lock of the cached block (a plain map + collect may stop at the known size without it).
  private static Iterator<long[]> partitionRows(Iterator<PackedShard> it) {
    long partition = -1;
    long rows = 0;
    while (it.hasNext()) {
      PackedShard s = it.next();
      partition = s.partition();
      rows += s.rows();
    }
    return partition < 0 ? Collections.emptyIterator()
        : Collections.singletonList(new long[] {partition, rows}).iterator();
  }

  private static Iterator<Integer> partitionMaxLabel(Iterator<PackedShard> it) {
    int max = -1;
    while (it.hasNext()) {
      max = Math.max(max, it.next().maxLabel());
    }
    return Collections.singletonList(max).iterator();
  }

  /** The elements of {@code rdd}, a task's IllegalArgumentException rethrown as in {@link #unwrap}. */
  static <T> List<T> collect(JavaRDD<T> rdd) {
    return run(rdd::collect);
  }

  private static <T> T run(java.util.concurrent.Callable<T> job) {
    try {
      return job.call();
    } catch (SparkException e) {
      throw unwrap(e);
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * The IllegalArgumentException a task threw (bad input found on an executor), rethrown on the
   * driver with its message; any other failure as it came.
   */
  static RuntimeException unwrap(Exception e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof IllegalArgumentException iae) {
        return new IllegalArgumentException(iae.getMessage(), e);
      }
    }
    return e instanceof RuntimeException r ? r : new IllegalStateException(e);
  }
}
