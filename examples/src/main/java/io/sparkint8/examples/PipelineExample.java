package io.sparkint8.examples;

import io.sparkint8.ml.Int8Classifier;
import io.sparkint8.ml.Int8KryoRegistrator;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator;
import org.apache.spark.ml.feature.StandardScaler;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.tuning.CrossValidator;
import org.apache.spark.ml.tuning.CrossValidatorModel;
import org.apache.spark.ml.tuning.ParamGridBuilder;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Int8Classifier as one stage of an ordinary Spark ML pipeline on tabular data: VectorAssembler
 * and StandardScaler in front, a CrossValidator over the learning rate, the evaluator, and the
 * best pipeline saved and reloaded.
 */
public final class PipelineExample {
  private PipelineExample() {}

  static final String USAGE = String.join("\n",
      "usage: examples/run pipeline [options]",
      "  --master URL   Spark master (default local[*])",
      "  --rows N       rows of the synthetic table (default 4000)",
      "  --out DIR      where the pipeline model is saved (default pipeline-run)");

  public static void main(String[] args) throws Exception {
    Args.run("pipeline", USAGE, args, PipelineExample::launch);
  }

  private static void launch(String[] args) throws Exception {
    Args a = new Args(args, USAGE);
    String master = a.string("--master", "local[*]");
    int rows = a.integer("--rows", 4000);
    String out = a.string("--out", "pipeline-run");
    a.done();
    SparkSession spark = SparkSession.builder().master(master).appName("spark-int8 pipeline")
        .config("spark.serializer", "org.apache.spark.serializer.KryoSerializer")
        .config("spark.kryo.registrator", Int8KryoRegistrator.class.getName())
        .config("spark.ui.showConsoleProgress", "false")
        .getOrCreate();
    try {
      run(spark, rows, out);
    } finally {
      spark.stop();
    }
  }

  /** A table of 8 numeric columns f0..f7 whose class (0..3) is a noisy function of them. */
  static Dataset<Row> table(SparkSession spark, int rows, long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    List<Row> data = new ArrayList<>(rows);
    for (int i = 0; i < rows; i++) {
      int label = rnd.nextInt(4);
      Object[] v = new Object[9];
      for (int j = 0; j < 8; j++) {
        // columns on very different scales, which is what the StandardScaler is for
        double center = ((label >> (j % 2)) & 1) * 2.0 - 1.0 + (j == label ? 1.5 : 0);
        v[j] = (center + rnd.nextGaussian()) * Math.pow(10, j % 3);
      }
      v[8] = (double) label;
      data.add(RowFactory.create(v));
    }
    StructType schema = new StructType();
    for (int j = 0; j < 8; j++) {
      schema = schema.add("f" + j, DataTypes.DoubleType, false);
    }
    schema = schema.add("label", DataTypes.DoubleType, false);
    return spark.createDataFrame(data, schema);
  }

  static double run(SparkSession spark, int rows, String out) throws Exception {
    Dataset<Row>[] split = table(spark, rows, 7).randomSplit(new double[] {0.8, 0.2}, 11);
    String[] inputs = new String[8];
    for (int j = 0; j < 8; j++) {
      inputs[j] = "f" + j;
    }
    VectorAssembler assembler = new VectorAssembler().setInputCols(inputs)
        .setOutputCol("raw_features");
    StandardScaler scaler = new StandardScaler().setInputCol("raw_features")
        .setOutputCol("features").setWithMean(true).setWithStd(true);
    Int8Classifier clf = new Int8Classifier()
        .setInputShape(new int[] {8, 1, 1})
        .setNetwork("fc(32)-relu-fc(32)-relu-fc")
        .setBatchSize(256)
        .setMaxEpochs(4)
        .setNumPartitions(2);
    Pipeline pipeline = new Pipeline().setStages(new PipelineStage[] {assembler, scaler, clf});
    ParamMap[] grid = new ParamGridBuilder()
        .addGrid(clf.stepSize(), new double[] {0.05, 0.2})
        .build();
    MulticlassClassificationEvaluator evaluator = new MulticlassClassificationEvaluator()
        .setMetricName("accuracy");
    CrossValidator cv = new CrossValidator().setEstimator(pipeline).setEstimatorParamMaps(grid)
        .setEvaluator(evaluator).setNumFolds(2).setSeed(3);
    CrossValidatorModel cvModel = cv.fit(split[0]);
    double[] metrics = cvModel.avgMetrics();
    for (int i = 0; i < grid.length; i++) {
      System.out.printf(Locale.ROOT, "stepSize %s: cross-validated accuracy %.4f%n",
          grid[i].get(clf.stepSize()).get(), metrics[i]);
    }
    PipelineModel best = (PipelineModel) cvModel.bestModel();
    double accuracy = evaluator.evaluate(best.transform(split[1]));
    best.write().overwrite().save(out);
    PipelineModel reloaded = PipelineModel.load(out);
    double reloadedAccuracy = evaluator.evaluate(reloaded.transform(split[1]));
    System.out.printf(Locale.ROOT, "held-out accuracy %.4f (reloaded pipeline: %.4f), saved to "
        + "%s%n", accuracy, reloadedAccuracy, out);
    if (accuracy != reloadedAccuracy) {
      throw new IllegalStateException("the reloaded pipeline predicts differently");
    }
    return accuracy;
  }
}
