package io.sparkint8.examples;

import io.sparkint8.arrow.FashionMnistFiles;
import io.sparkint8.kernels.Backends;
import io.sparkint8.local.FashionMnistDataset;
import io.sparkint8.ml.Int8ClassificationModel;
import io.sparkint8.ml.Int8Classifier;
import io.sparkint8.ml.Int8KryoRegistrator;
import io.sparkint8.train.EpochSummary;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.ml.classification.MultilayerPerceptronClassificationModel;
import org.apache.spark.ml.classification.MultilayerPerceptronClassifier;
import org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Spark benchmark on Fashion-MNIST in a {@code local[2]} session: the same {@code cnn-small}
 * trained by {@link Int8Classifier} in fp32 and in int8 (global batch 1024), in int8 with LARS (or
 * LAMB, on request) at global batch 8192, and Spark MLlib's {@link MultilayerPerceptronClassifier} (784-256-128-10,
 * L-BFGS) as the peer, all on the same cached DataFrame. Prints one JSON line per epoch and trainer,
 * a final line per trainer and a summary line with the ratios.
 *
 * <p>The MLP trains first: its final test accuracy is the bar for {@code seconds_to_mlp_accuracy},
 * the training wall time our trainers need until their per-epoch test accuracy first reaches it.
 * Our per-epoch test accuracy is the summary's validation accuracy: train and test rows form one
 * DataFrame with a boolean {@code is_test} column named as {@code validationIndicatorCol}; the
 * summary's cumulative seconds exclude that validation.
 *
 * <pre>
 * examples/run bench-spark [--rows 60000] [--test-rows 10000] [--epochs 10]
 *     [--runs mllib-mlp,fp32,int8,int8-lars,int8-lamb] [--partitions 2] [--batch 1024]
 *     [--model cnn-small] [--step-size 0.025] [--warmup 1] [--lars-batch 8192] [--lars-epochs E]
 *     [--lars-step 0.25] [--lamb-step 0.0005] [--lars-warmup 5]
 *     [--mlp-iter 100] [--seed 42]
 *     [--data /usr/share/datasets/fashion-mnist]
 * </pre>
 */
public final class BenchSpark {
  static final List<String> ALL_RUNS =
      List.of("mllib-mlp", "fp32", "int8", "int8-lars", "int8-lamb");
  /** What runs without --runs: the large-batch LAMB run only on request. */
  static final List<String> DEFAULT_RUNS = List.of("mllib-mlp", "fp32", "int8", "int8-lars");
  static final int[] MLP_LAYERS = {784, 256, 128, 10};

  private BenchSpark() {}

  /** The command line. */
  static final class Options {
    int rows = 60_000;
    int testRows = 10_000;
    int epochs = 10;
    int partitions = 2;
    int batch = 1024;
    int larsBatch = 8192;
    int larsEpochs; // 0: 2 x epochs - 1 (fewer than twice the epochs of the batch-1024 runs)
    double lambStep = 0.0005;
    double stepSize = 0.025;
    double warmup = 1;
    double larsStep = 0.25;
    double larsWarmup = 5;
    int mlpIter = 100;

    /** Epochs of the large-batch runs: --lars-epochs, else 2 x epochs - 1. */
    int largeEpochs() {
      return larsEpochs > 0 ? larsEpochs : Math.max(1, 2 * epochs - 1);
    }
    long seed = 42;
    String model = "cnn-small";
    String master = "local[2]";
    Path data = FashionMnistFiles.configuredDir();
    List<String> runs = DEFAULT_RUNS;
    boolean help;

    static Options parse(String[] args) {
      Options o = new Options();
      for (int i = 0; i < args.length; i++) {
        String a = args[i];
        if (a.equals("--help") || a.equals("-h")) {
          o.help = true;
          continue;
        }
        if (i + 1 >= args.length) {
          throw new Args.UsageError(a + " needs a value; see --help");
        }
        String v = args[++i];
        switch (a) {
          case "--rows" -> o.rows = positive(a, v);
          case "--test-rows" -> o.testRows = positive(a, v);
          case "--epochs" -> o.epochs = positive(a, v);
          case "--partitions" -> o.partitions = positive(a, v);
          case "--batch" -> o.batch = positive(a, v);
          case "--lars-batch" -> o.larsBatch = positive(a, v);
          case "--lars-epochs" -> o.larsEpochs = positive(a, v);
          case "--lamb-step" -> o.lambStep = Double.parseDouble(v);
          case "--step-size" -> o.stepSize = Double.parseDouble(v);
          case "--warmup" -> o.warmup = Double.parseDouble(v);
          case "--lars-step" -> o.larsStep = Double.parseDouble(v);
          case "--lars-warmup" -> o.larsWarmup = Double.parseDouble(v);
          case "--mlp-iter" -> o.mlpIter = positive(a, v);
          case "--seed" -> o.seed = Long.parseLong(v);
          case "--model" -> o.model = v;
          case "--master" -> o.master = v;
          case "--data" -> o.data = Path.of(v);
          case "--runs" -> {
            List<String> runs = new ArrayList<>();
            for (String r : v.split(",")) {
              if (!ALL_RUNS.contains(r.trim())) {
                throw new IllegalArgumentException("--runs: unknown run '" + r + "', expected some"
                    + " of " + String.join(",", ALL_RUNS));
              }
              runs.add(r.trim());
            }
            // the MLP's accuracy is the bar of the others: it always trains first
            o.runs = ALL_RUNS.stream().filter(runs::contains).toList();
          }
          default -> throw new IllegalArgumentException("unknown argument '" + a + "'; see --help");
        }
      }
      return o;
    }

    private static int positive(String name, String v) {
      int n = Integer.parseInt(v);
      if (n < 1) {
        throw new IllegalArgumentException(name + " " + n + ", expected >= 1");
      }
      return n;
    }
  }

  static final String USAGE = String.join("\n",
      "usage: examples/run bench-spark [options]",
      "Fashion-MNIST in a local Spark session: Int8Classifier (cnn-small) fp32 vs int8 at global",
      "batch 1024, int8 + LARS at batch 8192, and MLlib's MultilayerPerceptronClassifier",
      "784-256-128-10 (trained first; its accuracy is the bar of seconds_to_mlp_accuracy).",
      "  --rows N          training rows (first N of 60000; default 60000)",
      "  --test-rows N     test rows (first N of 10000; default 10000)",
      "  --epochs N        epochs of our trainers (default 10)",
      "  --runs LIST       some of mllib-mlp,fp32,int8,int8-lars,int8-lamb (default all but",
      "                    int8-lamb)",
      "  --partitions P    partitions of the DataFrame = parallel tasks (default 2)",
      "  --batch B         global batch of fp32 and int8 (default 1024)",
      "  --step-size S     SGD stepSize of fp32 and int8 at batch 256, linearly scaled (default",
      "                    0.025, i.e. 0.1 at batch 1024; cnn-small diverges early at 0.4)",
      "  --warmup E        warmup epochs of fp32 and int8 (default 1)",
      "  --lars-batch B    global batch of int8-lars and int8-lamb (default 8192)",
      "  --lars-epochs E   epochs of int8-lars and int8-lamb (default 2 x --epochs - 1)",
      "  --lars-step S     LARS stepSize at batch 256, linearly scaled (default 0.25: peak lr 8",
      "                    at batch 8192; 0.5 overshot in warmup)",
      "  --lamb-step S     LAMB stepSize at batch 256, linearly scaled (default 0.0005)",
      "  --lars-warmup E   warmup epochs of int8-lars and int8-lamb (default 5; every warmup is",
      "                    capped at a third of its run's epochs)",
      "  --mlp-iter N      L-BFGS iterations of the MLP (default 100)",
      "  --model M         network of our trainers (default cnn-small)",
      "  --master URL      Spark master (default local[2])",
      "  --seed S          seed of every trainer (default 42)",
      "  --data DIR        Fashion-MNIST IDX files, fetched from the Debian package when missing",
      "                    (default " + FashionMnistFiles.configuredDir() + ")",
      "Output: JSON lines {\"bench\":\"spark\",...}; the full run takes about 40 minutes on 2 cores",
      "and runs in the launcher's default memory (int8-lars at batch 8192 holds ~2 GB off-heap a task).");

  public static void main(String[] args) throws IOException {
    Options o;
    try {
      o = Options.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println("bench-spark: " + e.getMessage());
      System.err.println(USAGE);
      System.exit(Args.USAGE_STATUS);
      return;
    }
    if (o.help) {
      System.out.println(USAGE);
      return;
    }
    run(o, JsonLine::print);
  }

  /** What one trainer measured. */
  record Result(String trainer, int batch, String optimizer, double accuracy, double seconds,
      double imagesPerSecond, double bytesPerStep, double secondsToMlpAccuracy) {}

  /** Runs the benchmark, handing every output line to {@code out}; returns the results by name. */
  static Map<String, Result> run(Options o, Consumer<JsonLine> out) throws IOException {
    Path data = FashionMnistFiles.locate(o.data).dir();
    io.sparkint8.local.Dataset train = FashionMnistDataset.load(data, true);
    io.sparkint8.local.Dataset test = FashionMnistDataset.load(data, false);
    train = o.rows < train.size() ? train.head(o.rows) : train;
    test = o.testRows < test.size() ? test.head(o.testRows) : test;
    SparkSession spark = SparkSession.builder()
        .master(o.master)
        .appName("spark-int8 bench-spark")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", String.valueOf(o.partitions))
        .config("spark.serializer", "org.apache.spark.serializer.KryoSerializer")
        .config("spark.kryo.registrator", Int8KryoRegistrator.class.getName())
        .config("spark.driver.host", "127.0.0.1")
        .getOrCreate();
    spark.sparkContext().setLogLevel("WARN");
    StepOverhead overhead = new StepOverhead();
    spark.sparkContext().addSparkListener(overhead);
    Map<String, Result> results = new LinkedHashMap<>();
    Dataset<Row> all = null;
    try {
      long t0 = System.nanoTime();
      all = dataFrame(spark, train, test, o.partitions).cache();
      long n = all.count();
      double prepare = (System.nanoTime() - t0) * 1e-9;
      out.accept(new JsonLine("spark").put("config", true).put("master", o.master)
          .put("partitions", o.partitions).put("train_rows", train.size())
          .put("test_rows", test.size()).put("rows_cached", n).put("prepare_seconds", prepare)
          .put("epochs", o.epochs).put("lars_epochs", o.largeEpochs())
          .put("model", o.model).put("seed", o.seed)
          .put("kernel_backend", Backends.get().name()).put("isa", Backends.get().isa()));
      double mlpAccuracy = Double.NaN;
      for (String name : o.runs) {
        Result r = name.equals("mllib-mlp") ? mlp(all, o, out)
            : ours(name, all, o, mlpAccuracy, out, overhead);
        if (name.equals("mllib-mlp")) {
          mlpAccuracy = r.accuracy();
        }
        results.put(name, r);
      }
      out.accept(summary(results));
      return results;
    } finally {
      if (all != null) {
        all.unpersist();
      }
      spark.stop();
    }
  }

  /**
   * Train and test rows in one DataFrame (label double, features vector, is_test boolean), the
   * test rows spread evenly through the range so that every partition holds the same share of
   * training rows. Rows are built on the executors from a broadcast of the normalized images.
   */
  static Dataset<Row> dataFrame(SparkSession spark, io.sparkint8.local.Dataset train,
      io.sparkint8.local.Dataset test, int partitions) {
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    Broadcast<float[]> trainImages = jsc.broadcast(train.images());
    Broadcast<int[]> trainLabels = jsc.broadcast(train.labels());
    Broadcast<float[]> testImages = jsc.broadcast(test.images());
    Broadcast<int[]> testLabels = jsc.broadcast(test.labels());
    int size = train.shape().size();
    long total = train.size() + test.size();
    long nt = test.size();
    JavaRDD<Row> rows = spark.range(0, total, 1, partitions).javaRDD().map(r -> {
      // tests before row r, and whether r itself is one: nt tests spread over total rows
      long before = r * nt / total;
      boolean isTest = (r + 1) * nt / total > before;
      int i = (int) (isTest ? before : r - before);
      float[] im = (isTest ? testImages : trainImages).value();
      int label = (isTest ? testLabels : trainLabels).value()[i];
      double[] f = new double[size];
      for (int j = 0; j < size; j++) {
        f[j] = im[i * size + j];
      }
      return RowFactory.create((double) label, Vectors.dense(f), isTest);
    });
    StructType schema = new StructType()
        .add("label", DataTypes.DoubleType, false)
        .add("features", SQLDataTypes.VectorType(), false)
        .add("is_test", DataTypes.BooleanType, false);
    return spark.createDataFrame(rows, schema);
  }

  /** MLlib's MLP: fit on the training rows, accuracy on the test rows. */
  static Result mlp(Dataset<Row> all, Options o, Consumer<JsonLine> out) {
    Dataset<Row> train = all.filter(functions.not(functions.col("is_test")));
    Dataset<Row> test = all.filter(functions.col("is_test"));
    MultilayerPerceptronClassifier mlp = new MultilayerPerceptronClassifier()
        .setLayers(MLP_LAYERS).setMaxIter(o.mlpIter).setSeed(o.seed);
    long t0 = System.nanoTime();
    MultilayerPerceptronClassificationModel model = mlp.fit(train);
    double seconds = (System.nanoTime() - t0) * 1e-9;
    double accuracy = accuracy(model.transform(test));
    long rows = train.count();
    int iterations = model.summary().totalIterations();
    int partitions = train.rdd().getNumPartitions();
    int weights = model.weights().size();
    // L-BFGS sums a dense fp64 gradient (plus the loss) per partition in a treeAggregate, once per
    // loss evaluation; the line search may evaluate more than once per iteration
    double bytes = 8.0 * weights * partitions;
    Result r = new Result("mllib-mlp", (int) rows, "l-bfgs", accuracy, seconds,
        rows * (double) iterations / seconds, bytes, seconds);
    out.accept(finalLine(r, o.mlpIter)
        .put("iterations", iterations)
        .put("weights", weights)
        .put("layers", "784-256-128-10")
        .put("note", "MLlib MLP: full-batch L-BFGS (batch = all training rows), sigmoid hidden "
            + "layers, fp64; images_per_s = rows x iterations / seconds; bytes_aggregated_per_step "
            + "= 8 bytes (fp64) x weights x partitions, the dense gradient each partition sends "
            + "per loss evaluation; epochs = L-BFGS iterations allowed; seconds_to_mlp_accuracy "
            + "= its own training time"));
    return r;
  }

  /** One of our trainers on the same DataFrame, test accuracy per epoch as validation. */
  static Result ours(String name, Dataset<Row> all, Options o, double mlpAccuracy,
      Consumer<JsonLine> out, StepOverhead overhead) {
    boolean large = name.equals("int8-lars") || name.equals("int8-lamb");
    String precision = name.equals("fp32") ? "fp32" : "int8";
    int batch = large ? o.larsBatch : o.batch;
    int maxEpochs = large ? o.largeEpochs() : o.epochs;
    Int8Classifier clf = new Int8Classifier()
        .setInputShape(new int[] {1, 28, 28})
        .setNetwork(o.model)
        .setPrecision(precision)
        .setAggregationPrecision(precision)
        .setBatchSize(batch)
        .setMaxEpochs(maxEpochs)
        .setSeed(o.seed)
        .setValidationIndicatorCol("is_test");
    // warmup at most a third of the run (the cosine schedule needs epochs > warmup)
    clf.setWarmupEpochs(Math.min(large ? o.larsWarmup : o.warmup, maxEpochs / 3.0));
    if (name.equals("int8-lars")) {
      clf.setOptimizer("lars").setStepSize(o.larsStep);
    } else if (name.equals("int8-lamb")) {
      clf.setOptimizer("lamb").setStepSize(o.lambStep);
    } else {
      clf.setStepSize(o.stepSize);
    }
    clf.setEpochListener(e -> out.accept(new JsonLine("spark")
        .put("trainer", name)
        .put("epoch", e.epoch())
        .put("test_accuracy", e.validationAccuracy())
        .put("seconds", e.cumulativeSeconds())
        .put("train_loss", e.loss())
        .put("train_accuracy", e.trainAccuracy())
        .put("images_per_s", e.samplesPerSecond())
        .put("bytes_aggregated_per_step", e.bytesAggregatedPerStep())));
    overhead.reset();
    long t0 = System.nanoTime();
    Int8ClassificationModel model = clf.fit(all);
    double fitSeconds = (System.nanoTime() - t0) * 1e-9;
    List<EpochSummary> epochs = model.summary().epochs();
    EpochSummary last = epochs.get(epochs.size() - 1);
    double toMlp = Double.NaN;
    for (EpochSummary e : epochs) {
      if (!Double.isNaN(mlpAccuracy) && e.validationAccuracy() >= mlpAccuracy) {
        toMlp = e.cumulativeSeconds();
        break;
      }
    }
    long rows = model.summary().trainingRows();
    Result r = new Result(name, batch, clf.getOptimizer(), last.validationAccuracy(),
        last.cumulativeSeconds(), rows * (double) epochs.size() / last.cumulativeSeconds(),
        last.bytesAggregatedPerStep(), toMlp);
    JsonLine line = finalLine(r, maxEpochs)
        .put("precision", precision)
        .put("aggregation_precision", precision)
        .put("step_size", clf.getStepSize())
        .put("peak_lr", clf.getStepSize() * batch / 256.0)
        .put("warmup_epochs", clf.getWarmupEpochs())
        .put("fit_seconds", fitSeconds)
        .put("note", "seconds = training wall time (per-epoch validation excluded); "
            + "fit_seconds includes packing the shards and validation; bytes_aggregated_per_step ="
            + " gradient bytes all partitions sent per step, mean over the last epoch");
    out.accept(line);
    out.accept(overhead.addTo(new JsonLine("spark").put("step_overhead", true)
        .put("trainer", name).put("batch", batch), last.cumulativeSeconds())
        .put("note", "per training-step job: wall ms, its slowest task's ms (deserialization +"
            + " run), their difference (scheduling, broadcast, aggregation), and the driver's ms"
            + " between step jobs (optimizer, next broadcast); per task: wall ms (deserialization"
            + " + run), CPU ms, GC ms, deserialization ms; step_overhead_epoch lines: the same"
            + " per epoch"));
    for (EpochSummary e : epochs) {
      out.accept(overhead.addEpochTo(new JsonLine("spark").put("step_overhead_epoch", e.epoch())
          .put("trainer", name).put("batch", batch), e.epoch(), e.seconds()));
    }
    return r;
  }

  private static JsonLine finalLine(Result r, int epochs) {
    return new JsonLine("spark")
        .put("final", true)
        .put("trainer", r.trainer())
        .put("batch", r.batch())
        .put("optimizer", r.optimizer())
        .put("epochs", epochs)
        .put("test_accuracy", r.accuracy())
        .put("seconds", r.seconds())
        .put("images_per_s", r.imagesPerSecond())
        .put("bytes_aggregated_per_step", r.bytesPerStep())
        .put("seconds_to_mlp_accuracy", r.secondsToMlpAccuracy());
  }

  static JsonLine summary(Map<String, Result> results) {
    Result fp32 = results.get("fp32");
    Result int8 = results.get("int8");
    Result lars = results.get("int8-lars");
    Result lamb = results.get("int8-lamb");
    Result mlp = results.get("mllib-mlp");
    double nan = Double.NaN;
    return new JsonLine("spark")
        .put("summary", true)
        .put("int8_minus_fp32_accuracy",
            int8 != null && fp32 != null ? int8.accuracy() - fp32.accuracy() : nan)
        .put("int8_over_fp32_bytes_per_step",
            int8 != null && fp32 != null ? int8.bytesPerStep() / fp32.bytesPerStep() : nan)
        .put("int8_over_mlp_seconds_to_mlp_accuracy",
            int8 != null && mlp != null ? int8.secondsToMlpAccuracy() / mlp.seconds() : nan)
        .put("int8_minus_mlp_accuracy",
            int8 != null && mlp != null ? int8.accuracy() - mlp.accuracy() : nan)
        .put("int8_lars_minus_int8_accuracy",
            lars != null && int8 != null ? lars.accuracy() - int8.accuracy() : nan)
        .put("int8_lars_over_mlp_seconds_to_mlp_accuracy",
            lars != null && mlp != null ? lars.secondsToMlpAccuracy() / mlp.seconds() : nan)
        .put("int8_lamb_minus_int8_accuracy",
            lamb != null && int8 != null ? lamb.accuracy() - int8.accuracy() : nan);
  }

  static double accuracy(Dataset<Row> predictions) {
    return new MulticlassClassificationEvaluator().setMetricName("accuracy")
        .evaluate(predictions);
  }

  static void run(String[] args, Consumer<JsonLine> out) throws IOException {
    run(Options.parse(args), out);
  }
}
