package io.sparkint8.examples;

import io.sparkint8.arrow.FashionMnistFiles;
import io.sparkint8.arrow.IdxReader;
import io.sparkint8.ml.Int8ClassificationModel;
import io.sparkint8.ml.Int8Classifier;
import io.sparkint8.ml.Int8KryoRegistrator;
import io.sparkint8.nn.ModelDigest;
import io.sparkint8.train.EpochSummary;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;

/**
 * The README's main job: trains {@code cnn-small} on Fashion-MNIST with int8 training on a local
 * Spark, prints a progress line per epoch, evaluates on the test set, saves the model and writes
 * a PNG of the training curves. Its last line is JSON; {@code model_digest} there is {@link
 * ModelDigest} of the saved model, which two runs compare (a run resumed from {@code
 * --checkpoint-dir} against an uninterrupted one).
 */
public final class FashionMnist {
  private FashionMnist() {}

  static final String USAGE = String.join("\n",
      "usage: examples/run fashion-mnist [options]",
"  --data DIR         Fashion-MNIST IDX files, fetched from the Debian package when missing",
      "                     (default " + FashionMnistFiles.configuredDir() + ")",
      "  --master URL       Spark master (default local[*])",
      "  --precision P      fp32 | int8-forward | int8 (default int8)",
      "  --epochs N         passes over the training set (default 10)",
      "  --batch-size B     global batch (default 1024)",
      "  --partitions P     training partitions (default: Spark's default parallelism)",
      "  --network SPEC     network preset or spec (default cnn-small)",
      "  --rows N           train on the first N training images only (default all 60000)",
      "  --test-rows N      evaluate on the first N test images only (default all 10000)",
      "  --out DIR          where the model, plot and summary go (default fashion-mnist-run)",
      "  --checkpoint-dir D save a checkpoint after every epoch to D (any Hadoop path) and, when D",
      "                     holds one of this job, resume from it: the model is bit-identical to an",
      "                     uninterrupted run's (compare the final line's model_digest)");

  public static void main(String[] args) throws Exception {
    Args.run("fashion-mnist", USAGE, args, FashionMnist::launch);
  }

  private static void launch(String[] args) throws IOException {
    Args a = new Args(args, USAGE);
    Path dataDir = a.path("--data", FashionMnistFiles.configuredDir());
    String master = a.string("--master", "local[*]");
    String precision = a.string("--precision", "int8");
    int epochs = a.integer("--epochs", 10);
    int batch = a.integer("--batch-size", 1024);
    int partitions = a.integer("--partitions", 0);
    String network = a.string("--network", "cnn-small");
    int rows = a.integer("--rows", 0);
    int testRows = a.integer("--test-rows", 0);
    Path out = Path.of(a.string("--out", "fashion-mnist-run")).toAbsolutePath();
    String checkpointDir = a.string("--checkpoint-dir", null);
    a.done();

    FashionMnistFiles data = FashionMnistFiles.locate(dataDir);
    Files.createDirectories(out);
    SparkSession spark = SparkSession.builder()
        .master(master)
        .appName("spark-int8 fashion-mnist")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.serializer", "org.apache.spark.serializer.KryoSerializer")
        .config("spark.kryo.registrator", Int8KryoRegistrator.class.getName())
        .getOrCreate();
    spark.sparkContext().setLogLevel("WARN");
    try {
      run(spark, data, out, precision, epochs, batch, partitions, network, rows, testRows,
          checkpointDir);
    } finally {
      spark.stop();
    }
  }

  static double run(SparkSession spark, FashionMnistFiles data, Path out, String precision,
      int epochs, int batch, int partitions, String network, int rows, int testRows)
      throws IOException {
    return run(spark, data, out, precision, epochs, batch, partitions, network, rows, testRows,
        null);
  }

  /** The job; {@code checkpointDir} null trains without checkpoints. */
  static double run(SparkSession spark, FashionMnistFiles data, Path out, String precision,
      int epochs, int batch, int partitions, String network, int rows, int testRows,
      String checkpointDir) throws IOException {
    int parts = partitions > 0 ? partitions : spark.sparkContext().defaultParallelism();
    Dataset<Row> train = IdxReader.toDataFrame(spark, data.trainImages(), data.trainLabels(),
        false);
    Dataset<Row> test = IdxReader.toDataFrame(spark, data.testImages(), data.testLabels(), false);
    if (rows > 0) {
      train = train.limit(rows);
    }
    if (testRows > 0) {
      test = test.limit(testRows);
    }
    // test rows ride along as validation rows: their accuracy is reported after every epoch
    Dataset<Row> all = train.withColumn("is_test", functions.lit(false))
        .union(test.withColumn("is_test", functions.lit(true)))
        .repartition(parts);
    System.out.printf(Locale.ROOT, "spark-int8 fashion-mnist: %s, %s, %s, %d epochs, global "
        + "batch %d, %d partitions, data %s%n", spark.sparkContext().master(), network,
        precision, epochs, batch, parts, data.dir());
    List<EpochSummary> epochsSeen = new ArrayList<>();
    Int8Classifier clf = new Int8Classifier()
        .setInputShape(new int[] {1, 28, 28})
        .setNetwork(network)
        .setPrecision(precision)
        .setAggregationPrecision(precision.equals("fp32") ? "fp32" : "int8")
        .setBatchSize(batch)
        .setMaxEpochs(epochs)
        .setValidationIndicatorCol("is_test")
        .setEpochListener(e -> {
          epochsSeen.add(e);
          System.out.printf(Locale.ROOT, "epoch %2d/%d  loss %.4f  train acc %.4f  test acc %.4f"
              + "  %6.0f images/s  %,10d bytes aggregated/step  %.1f s%n", e.epoch(), epochs,
              e.loss(), e.trainAccuracy(), e.validationAccuracy(), e.samplesPerSecond(),
              Math.round(e.bytesAggregatedPerStep()), e.cumulativeSeconds());
        });
    if (checkpointDir != null) {
      clf.setCheckpointDir(checkpointDir);
    }
    Int8ClassificationModel model = clf.fit(all);
    // epochs done before a resume come from the checkpoint; the listener saw the others
    List<EpochSummary> allEpochs = model.summary().epochs();
    int resumedEpochs = allEpochs.size() - epochsSeen.size();
    if (resumedEpochs > 0) {
      System.out.printf(Locale.ROOT, "resumed from the checkpoint of epoch %d in %s%n",
          resumedEpochs, checkpointDir);
    }
    Dataset<Row> predictions = model.transform(all.filter("is_test"));
    double accuracy = new MulticlassClassificationEvaluator().setMetricName("accuracy")
        .evaluate(predictions);
    Path modelDir = out.resolve("model");
    model.write().overwrite().save(modelDir.toString());
    Path plot = out.resolve("training-curves.png");
    TrainingPlot.write(allEpochs, precision + " " + network, plot);
    double seconds = allEpochs.isEmpty() ? 0
        : allEpochs.get(allEpochs.size() - 1).cumulativeSeconds();
    // of the saved model, read back: what a later load gives
    String digest = ModelDigest.sha256(
        Int8ClassificationModel.load(modelDir.toString()).modelState());
    System.out.printf(Locale.ROOT, "test accuracy %.4f after %d epochs (%.0f s of training)%n",
        accuracy, epochs, seconds);
    System.out.println("model:          " + modelDir);
    System.out.println("training plot:  " + plot);
    System.out.println("load it with:   Int8ClassificationModel.load(\"" + modelDir + "\")");
    System.out.println("export to ONNX: examples/run export-onnx --model " + modelDir
        + " --out model.onnx");
    new JsonLine("fashion-mnist").put("final", true).put("precision", precision)
        .put("network", network).put("epochs", epochs).put("batch", batch)
        .put("partitions", parts).put("test_accuracy", accuracy).put("seconds", seconds)
        .put("model", modelDir.toString()).put("plot", plot.toString())
        .put("resumed_epochs", resumedEpochs).put("model_digest", digest).print();
    return accuracy;
  }
}
