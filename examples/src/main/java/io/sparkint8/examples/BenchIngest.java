package io.sparkint8.examples;

import io.sparkint8.arrow.FashionMnistFiles;
import io.sparkint8.arrow.FeatureColumn;
import io.sparkint8.arrow.IdxReader;
import io.sparkint8.arrow.LabelColumn;
import io.sparkint8.arrow.PackedShard;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.function.Function2;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;

/**
 * Ingest throughput: how fast cached DataFrame partitions of Fashion-MNIST are packed into the
 * trainer's {@link PackedShard}s, for each feature type the trainer accepts (ML vector,
 * {@code array<float>}, {@code array<double>}, uint8 {@code binary}, Spark's image struct). Each
 * DataFrame is cached and materialized first; a run then packs every partition on the executors
 * ({@code df.javaRDD().mapPartitionsWithIndex(PackedShard.pack ..)}) and counts the rows, so the
 * time includes Spark's deserialization of cached rows into {@code Row}s, as in a real fit. One
 * JSON line per type with the median over runs.
 *
 * <pre>
 * examples/run bench-ingest [--rows 60000] [--runs 5] [--partitions 2] [--data DIR]
 * </pre>
 */
public final class BenchIngest {
  private static final List<String> TYPES =
      List.of("vector", "array_float", "array_double", "binary", "image");

  private BenchIngest() {}

  static final String USAGE = String.join("\n",
      "usage: examples/run bench-ingest [options]",
      "Packs cached Fashion-MNIST DataFrames into PackedShards (arrow-io) and prints one JSON",
      "line per feature type: vector, array_float, array_double, binary, image.",
      "  --rows N        the first N training images (default: all 60000)",
      "  --runs R        timed runs per type, median reported (default 5, at least 3)",
      "  --partitions P  partitions of each DataFrame (default 2, the local[2] cores)",
      "  --data DIR      Fashion-MNIST IDX files, fetched from the Debian package when missing",
      "                  (default " + FashionMnistFiles.configuredDir() + ")",
      "rows_per_s: rows packed per second; mb_per_s: float32 feature bytes produced per second"
          + " (rows x 784 x 4 / 1e6 / s).");

  public static void main(String[] args) throws Exception {
    Args.run("bench-ingest", USAGE, args, BenchIngest::launch);
  }

  private static void launch(String[] args) throws Exception {
    Args a = new Args(args, USAGE);
    int rows = a.integer("--rows", -1);
    int runs = a.integer("--runs", 5);
    int partitions = a.integer("--partitions", 2);
    Path dataDir = a.path("--data", FashionMnistFiles.configuredDir());
    a.done();
    if (runs < 3) {
      throw a.fail("--runs " + runs + ": medians need at least 3 runs");
    }
    if (partitions < 1) {
      throw a.fail("--partitions " + partitions + ", expected >= 1");
    }
    FashionMnistFiles data = FashionMnistFiles.locate(dataDir);
    IdxReader.Labeled all = IdxReader.read(data.trainImages(), data.trainLabels());
    if (rows > all.count() || rows == 0 || rows < -1) {
      throw a.fail("--rows " + rows + ", expected 1.." + all.count());
    }
    IdxReader.Labeled train = rows > 0 ? all.head(rows) : all;
    int n = train.count();
    int h = train.images().rows();
    int w = train.images().cols();
    int len = h * w;

    SparkSession spark = SparkSession.builder()
        .master("local[2]")
        .appName("bench-ingest")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.driver.host", "127.0.0.1")
        .getOrCreate();
    spark.sparkContext().setLogLevel("WARN");
    try {
      Dataset<Row> base = IdxReader.toDataFrame(spark, train, false, partitions);
      boolean first = true;
      for (String type : TYPES) {
        Dataset<Row> df = withFeatures(base, type, h, w).cache();
        if (df.count() != n) {
          throw new IllegalStateException(type + ": cached " + df.count() + " rows of " + n);
        }
        double seconds = timePacking(df, len, h, w, n, runs);
        df.unpersist(true);
        JsonLine line = new JsonLine("ingest").put("type", type).put("rows", n)
            .put("rows_per_s", n / seconds).put("mb_per_s", (double) n * len * 4 / 1e6 / seconds);
        if (first) {
          line.put("note", "median of " + runs + " runs after 2 warm-up runs; a run packs every"
              + " one of " + partitions + " partitions of the cached DataFrame into a PackedShard"
              + " on local[2] (df.javaRDD().mapPartitionsWithIndex + PackedShard.pack, rows"
              + " counted), Spark's row deserialization included; mb_per_s = float32 feature"
              + " bytes produced per second (rows x " + len + " x 4 / 1e6 / s)");
          first = false;
        }
        line.print();
      }
    } finally {
      spark.stop();
    }
  }

  /** {@code base} (label, features as binary pixels) with features of {@code type}. */
  private static Dataset<Row> withFeatures(Dataset<Row> base, String type, int h, int w) {
    Column px = base.col("features");
    Column features = switch (type) {
      case "vector" -> functions.udf((UDF1<byte[], org.apache.spark.ml.linalg.Vector>) IdxReader::pixelsToVector,
          SQLDataTypes.VectorType()).apply(px);
      case "array_float" -> functions.udf((UDF1<byte[], float[]>) BenchIngest::toFloats,
          DataTypes.createArrayType(DataTypes.FloatType, false)).apply(px);
      case "array_double" -> functions.udf((UDF1<byte[], double[]>) BenchIngest::toDoubles,
          DataTypes.createArrayType(DataTypes.DoubleType, false)).apply(px);
      case "binary" -> px;
      // the schema of Spark's image data source: origin, height, width, nChannels, mode, data
      case "image" -> functions.struct(functions.lit("").as("origin"),
          functions.lit(h).as("height"), functions.lit(w).as("width"),
          functions.lit(1).as("nChannels"), functions.lit(0).as("mode"), px.as("data"));
      default -> throw new IllegalArgumentException(type);
    };
    return base.withColumn("features", features);
  }

  private static float[] toFloats(byte[] px) {
    float[] f = new float[px.length];
    for (int i = 0; i < f.length; i++) {
      f[i] = (float) ((px[i] & 0xff) / 255.0);
    }
    return f;
  }

  private static double[] toDoubles(byte[] px) {
    double[] d = new double[px.length];
    for (int i = 0; i < d.length; i++) {
      d[i] = (px[i] & 0xff) / 255.0;
    }
    return d;
  }

  /** Median seconds to pack every partition of cached {@code df}. */
  private static double timePacking(Dataset<Row> df, int len, int h, int w, int n, int runs) {
    FeatureColumn fc = FeatureColumn.of(df.schema(), "features", len, new int[] {h, w, 1});
    LabelColumn lc = LabelColumn.of(df.schema(), "label", 10);
    int featureField = df.schema().fieldIndex("features");
    int labelField = df.schema().fieldIndex("label");
    JavaRDD<Row> rdd = df.javaRDD();
    Function2<Integer, Iterator<Row>, Iterator<Integer>> pack = (p, it) -> {
      PackedShard s = PackedShard.pack(p, it, fc, featureField, lc, labelField);
      return List.of(s.rows()).iterator();
    };
    return Timing.medianSeconds(() -> {
      int packed = rdd.mapPartitionsWithIndex(pack, false).reduce(Integer::sum);
      if (packed != n) {
        throw new IllegalStateException("packed " + packed + " rows of " + n);
      }
    }, runs, 0.0);
  }
}
