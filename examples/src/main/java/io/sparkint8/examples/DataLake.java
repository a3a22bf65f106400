package io.sparkint8.examples;

import io.sparkint8.arrow.FashionMnistFiles;
import io.sparkint8.arrow.IdxReader;
import io.sparkint8.ml.Int8ClassificationModel;
import io.sparkint8.ml.Int8Classifier;
import io.sparkint8.ml.Int8KryoRegistrator;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;

/**
 * The lake-to-model path: Fashion-MNIST written as a Parquet dataset (uint8 pixels as binary),
 * read back with {@code spark.read.parquet}, trained on, and the predictions written as Parquet
 * next to the saved model.
 */
public final class DataLake {
  private DataLake() {}

  static final String USAGE = String.join("\n",
      "usage: examples/run data-lake [options]",
      "  --data DIR       Fashion-MNIST IDX files, fetched from the Debian package when missing",
      "                   (default " + FashionMnistFiles.configuredDir() + ")",
      "  --lake DIR       where the Parquet datasets, predictions and model go "
          + "(default data-lake-run)",
      "  --master URL     Spark master (default local[*])",
      "  --epochs N       (default 5)",
      "  --batch-size B   global batch (default 512)",
      "  --rows N         training rows to write to the lake (default all 60000)",
      "  --test-rows N    test rows (default all 10000)");

  public static void main(String[] args) throws Exception {
    Args.run("data-lake", USAGE, args, DataLake::launch);
  }

  private static void launch(String[] args) throws IOException {
    Args a = new Args(args, USAGE);
    Path dataDir = a.path("--data", FashionMnistFiles.configuredDir());
    Path lake = Path.of(a.string("--lake", "data-lake-run")).toAbsolutePath();
    String master = a.string("--master", "local[*]");
    int epochs = a.integer("--epochs", 5);
    int batch = a.integer("--batch-size", 512);
    int rows = a.integer("--rows", 0);
    int testRows = a.integer("--test-rows", 0);
    a.done();
    FashionMnistFiles data = FashionMnistFiles.locate(dataDir);
    SparkSession spark = SparkSession.builder().master(master).appName("spark-int8 data-lake")
        .config("spark.serializer", "org.apache.spark.serializer.KryoSerializer")
        .config("spark.kryo.registrator", Int8KryoRegistrator.class.getName())
        .config("spark.ui.showConsoleProgress", "false")
        .getOrCreate();
    try {
      run(spark, data, lake, epochs, batch, rows, testRows);
    } finally {
      spark.stop();
    }
  }

  static double run(SparkSession spark, FashionMnistFiles data, Path lake, int epochs, int batch,
      int rows, int testRows) throws IOException {
    String trainPath = lake.resolve("fashion-mnist/train").toString();
    String testPath = lake.resolve("fashion-mnist/test").toString();
    Dataset<Row> train = IdxReader.toDataFrame(spark, data.trainImages(), data.trainLabels(),
        false);
    Dataset<Row> test = IdxReader.toDataFrame(spark, data.testImages(), data.testLabels(), false);
    if (rows > 0) {
      train = train.limit(rows);
    }
    if (testRows > 0) {
      test = test.limit(testRows);
    }
    train.write().mode(SaveMode.Overwrite).parquet(trainPath);
    test.write().mode(SaveMode.Overwrite).parquet(testPath);
    System.out.println("wrote the lake: " + trainPath + ", " + testPath);

    // from here on, only the lake is read
    Dataset<Row> lakeTrain = spark.read().parquet(trainPath);
    Dataset<Row> lakeTest = spark.read().parquet(testPath);
    lakeTrain.printSchema();
    Int8Classifier clf = new Int8Classifier()
        .setInputShape(new int[] {1, 28, 28})
        .setMaxEpochs(epochs)
        .setBatchSize(batch)
        .setNumPartitions(spark.sparkContext().defaultParallelism())
        .setEpochListener(e -> System.out.println(e.progressLine(epochs)));
    Int8ClassificationModel model = clf.fit(lakeTrain);
    Dataset<Row> predictions = model.transform(lakeTest);
    double accuracy = new MulticlassClassificationEvaluator().setMetricName("accuracy")
        .evaluate(predictions);
    String predictionsPath = lake.resolve("predictions").toString();
    predictions.select(functions.col("label"), functions.col("prediction"),
            functions.col("probability"))
        .write().mode(SaveMode.Overwrite).parquet(predictionsPath);
    String modelPath = lake.resolve("model").toString();
    model.write().overwrite().save(modelPath);
    System.out.printf(Locale.ROOT, "test accuracy %.4f%npredictions: %s%nmodel: %s%n", accuracy,
        predictionsPath, modelPath);
    return accuracy;
  }
}
