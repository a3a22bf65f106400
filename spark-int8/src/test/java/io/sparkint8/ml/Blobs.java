package io.sparkint8.ml;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Small seeded numeric data for the Spark ML tests: 4 Gaussian blobs (unit noise) in 8 dimensions
 * around fixed, well separated centers, labels 0..3. Each row has an {@code id} (its index), the
 * {@code label} (double), the coordinates as columns {@code x0..x7} (for VectorAssembler) and the
 * same values as a {@code features} vector. Rows are generated in a fixed order from the seed, so
 * two calls with the same arguments give the same DataFrame.
 */
final class Blobs {
  static final int DIM = 8;
  static final int CLASSES = 4;
  /** The network the blob tests train: tiny, so a fit takes seconds. */
  static final String NETWORK = "fc(16)-relu-fc";
  static final int[] SHAPE = {DIM, 1, 1};

  private Blobs() {}

  /** Center of class {@code k}: +4 on coordinates 2k and 2k+1, -1 elsewhere. */
  static double[] center(int k) {
    double[] c = new double[DIM];
    for (int j = 0; j < DIM; j++) {
      c[j] = j / 2 == k ? 4 : -1;
    }
    return c;
  }

  /** {@code n} rows, classes in turn (row i has label i % 4), in {@code partitions} partitions. */
  static Dataset<Row> frame(int n, long seed, int partitions) {
    Random r = new Random(seed);
    List<Row> rows = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      int label = i % CLASSES;
      double[] c = center(label);
      double[] x = new double[DIM];
      Object[] values = new Object[3 + DIM];
      values[0] = (long) i;
      values[1] = (double) label;
      for (int j = 0; j < DIM; j++) {
        x[j] = c[j] + r.nextGaussian();
        values[2 + j] = x[j];
      }
      values[2 + DIM] = Vectors.dense(x);
      rows.add(RowFactory.create(values));
    }
    return frame(rows, schema(), partitions);
  }

  /**
   * A DataFrame of {@code rows} in {@code partitions} partitions whose contents and row order are
   * the same in every run: one local relation dealt round-robin from a single partition, then
   * sorted by {@code id} within each partition when there is such a column. (Parallelizing the
   * Rows instead would send them through Kryo, which the test session's
   * registrationRequired=true refuses for Spark's GenericRow.)
   */
  static Dataset<Row> frame(List<Row> rows, StructType schema, int partitions) {
    Dataset<Row> df = SparkTestSession.get().createDataFrame(rows, schema).coalesce(1)
        .repartition(partitions);
    return List.of(schema.fieldNames()).contains("id") ? df.sortWithinPartitions("id") : df;
  }

  static StructType schema() {
    StructType s = new StructType()
        .add("id", DataTypes.LongType, false)
        .add("label", DataTypes.DoubleType, false);
    for (int j = 0; j < DIM; j++) {
      s = s.add("x" + j, DataTypes.DoubleType, false);
    }
    return s.add("features", SQLDataTypes.VectorType(), false);
  }

  /** The names of the coordinate columns, x0..x7. */
  static String[] coordinateColumns() {
    String[] names = new String[DIM];
    for (int j = 0; j < DIM; j++) {
      names[j] = "x" + j;
    }
    return names;
  }

  /** A small, fast classifier for blob data: 8x1x1 input, fc(16)-relu-fc, batch 64. */
  static Int8Classifier classifier(int epochs) {
    return new Int8Classifier()
        .setInputShape(SHAPE)
        .setNetwork(NETWORK)
        .setBatchSize(64)
        .setMaxEpochs(epochs)
        .setLrScaling("none")
        .setStepSize(0.1)
        .setWarmupEpochs(0)
        .setSeed(11L);
  }
}
