package io.sparkint8.arrow;

import java.io.Serializable;
import java.util.Arrays;
import java.util.Iterator;
import org.apache.spark.sql.Row;

/**
 * One partition's training rows packed into two contiguous arrays: row i's features are
 * features[i * featureLength ..] in the trainer's layout, its label labels[i] (or -1 when the shard
 * was packed without labels). Built once per fit and cached by Spark; every training step copies
 * its slice straight into the kernels' input buffer. No per-row or per-element objects are kept.
 * Treat as immutable once built.
 */
public final class PackedShard implements Serializable {
  private static final long serialVersionUID = 1L;
  private static final int INITIAL_ROWS = 256;

  private final int partition;
  private final int rows;
  private final int featureLength;
  private final float[] features;
  private final int[] labels;

  public PackedShard(int partition, int rows, int featureLength, float[] features, int[] labels) {
    if (rows < 0 || featureLength < 1 || (long) rows * featureLength > features.length
        || labels.length < rows) {
      throw new IllegalArgumentException("PackedShard: " + rows + " rows of " + featureLength
          + " features need " + (long) rows * featureLength + " values and " + rows
          + " labels; have " + features.length + " and " + labels.length);
    }
    this.partition = partition;
    this.rows = rows;
    this.featureLength = featureLength;
    this.features = features;
    this.labels = labels;
  }

  /**
   * Packs every row of one partition: features through {@code features} (field index
   * {@code featureField}) and, when {@code label} is not null, labels from field {@code labelField}.
   * Row numbers in errors count from 0 within the partition.
   */
  public static PackedShard pack(int partition, Iterator<Row> rows, FeatureColumn features,
      int featureField, LabelColumn label, int labelField) {
    int len = features.length();
    // the most rows one float[] of len features per row can hold
    int maxRows = (int) Math.min(Integer.MAX_VALUE - 8L, (Integer.MAX_VALUE - 8L) / len);
    int cap = Math.min(INITIAL_ROWS, maxRows);
    float[] x = new float[cap * len];
    int[] y = new int[cap];
    int n = 0;
    while (rows.hasNext()) {
      Row r = rows.next();
      if (n == cap) {
        if (cap == maxRows) {
          throw new IllegalArgumentException("partition " + partition + " holds more than "
              + n + " rows of " + len + " features, more than one Java array can; use more "
              + "partitions");
        }
        cap = (int) Math.min(maxRows, 2L * cap);
        x = Arrays.copyOf(x, cap * len);
        y = Arrays.copyOf(y, cap);
      }
      features.read(r, featureField, x, n * len, n);
      y[n] = label == null ? -1 : label.read(r, labelField, n);
      n++;
    }
    // a shard stays cached for the whole fit: give back what doubling over-allocated
    if (cap - n > n / 8) {
      x = Arrays.copyOf(x, n * len);
      y = Arrays.copyOf(y, n);
    }
    return new PackedShard(partition, n, len, x, y);
  }

  public int partition() {
    return partition;
  }

  public int rows() {
    return rows;
  }

  public int featureLength() {
    return featureLength;
  }

  /** The packed features (length >= rows * featureLength); not copied, do not modify. */
  public float[] features() {
    return features;
  }

  /** The labels (length >= rows); not copied, do not modify. */
  public int[] labels() {
    return labels;
  }

  /** The largest label, or -1 for an empty or unlabeled shard. */
  public int maxLabel() {
    int m = -1;
    for (int i = 0; i < rows; i++) {
      m = Math.max(m, labels[i]);
    }
    return m;
  }
}
