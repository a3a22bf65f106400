package io.sparkint8.ml;

import io.sparkint8.local.Dataset;
import io.sparkint8.local.FashionMnistDataset;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * The one local[2] SparkSession of the test JVM (UI off, two shuffle partitions, Kryo with the
 * registrator and registrationRequired=true so every test also checks registration), plus small
 * Fashion-MNIST DataFrames.
 */
public final class SparkTestSession {
  private static SparkSession spark;

  private SparkTestSession() {}

  public static synchronized SparkSession get() {
    if (spark == null) {
      spark = SparkSession.builder()
          .master("local[2]")
          .appName("spark-int8-tests")
          .config("spark.ui.enabled", "false")
          // a task that leaves a cached block locked fails instead of logging it; adaptive execution
          // is off because its materialization of a cached DataFrame (Spark 4.1) leaves such a lock
          // itself, which would hide ours
          .config("spark.storage.exceptionOnPinLeak", "true")
          .config("spark.sql.adaptive.enabled", "false")
          .config("spark.sql.shuffle.partitions", "2")
          .config("spark.serializer", "org.apache.spark.serializer.KryoSerializer")
          .config("spark.kryo.registrator", Int8KryoRegistrator.class.getName())
          .config("spark.kryo.registrationRequired", "true")
          .config("spark.driver.host", "127.0.0.1")
          .getOrCreate();
      spark.sparkContext().setLogLevel("WARN");
    }
    return spark;
  }

  /** The first {@code n} Fashion-MNIST training (or test) rows: label double, features vector. */
  public static org.apache.spark.sql.Dataset<Row> fashion(int n, boolean test, int partitions) {
    Dataset d = fashionData(test).head(n);
    int size = d.shape().size();
    List<Row> rows = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      double[] f = new double[size];
      for (int j = 0; j < size; j++) {
        f[j] = d.images()[i * size + j];
      }
      rows.add(RowFactory.create((double) d.labels()[i], Vectors.dense(f)));
    }
    StructType schema = new StructType()
        .add("label", DataTypes.DoubleType, false)
        .add("features", SQLDataTypes.VectorType(), false);
    return get().createDataFrame(rows, schema).repartition(partitions);
  }

  private static Dataset fashionData(boolean test) {
    try {
      return FashionMnistDataset.load(!test);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
