package io.sparkint8.ml;

import static io.sparkint8.ml.ParamChecks.assertSameParams;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator;
import org.apache.spark.ml.feature.StandardScaler;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.tuning.CrossValidator;
import org.apache.spark.ml.tuning.CrossValidatorModel;
import org.apache.spark.ml.tuning.ParamGridBuilder;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Save and load of both stages, alone and inside a Pipeline, and model selection with a
 * CrossValidator: whatever comes back predicts exactly as what was saved.
 */
class PersistenceTest {
  private static Dataset<Row> train;
  private static Dataset<Row> test;
  private static Int8ClassificationModel model;

  @TempDir Path dir;

  @AfterAll
  static void release() {
    train.unpersist();
    test.unpersist();
  }

  @BeforeAll
  static void fitOnce() {
    train = Blobs.frame(640, 1L, 2).cache();
    test = Blobs.frame(200, 2L, 2).cache();
    model = Blobs.classifier(2).fit(train);
  }

  @Test
  void estimatorRoundTripKeepsUidAndEverySetParam() throws IOException {
    Int8Classifier c = new Int8Classifier("int8clf_saved")
        .setInputShape(new int[] {3, 32, 32})
        .setNetwork("conv(8,3,p=1)-bn-relu-maxpool(2)-fc(32)-relu-fc")
        .setPrecision("int8-forward").setGradientBits(8).setRounding("stochastic")
        .setGradientClipping("mcs").setClipUpdateInterval(7).setDclrs(false)
        .setLrScaling("none").setWeightScaling("per-tensor").setBnRectification(0.0)
        .setBnVariant("l1").setBnMomentum(0.2).setBatchSize(512).setMaxEpochs(3)
        .setOptimizer("lamb").setStepSize(0.003).setMomentum(0.8).setNesterov(false)
        .setWeightDecay(0.01).setWarmupEpochs(0.5).setLrSchedule("step").setAggregationDepth(3)
        .setAggregationPrecision("fp32").setNumPartitions(4).setValidationIndicatorCol("isVal")
        .setSeed(1234L).setBackend("java")
        .setThresholds(new double[] {0.5, 0.25, 0.25})
        .setLabelCol("y").setFeaturesCol("x").setPredictionCol("p");
    String path = dir.resolve("estimator").toString();
    c.write().save(path);
    Int8Classifier loaded = Int8Classifier.load(path);
    assertEquals("int8clf_saved", loaded.uid());
    assertSameParams(c, loaded);
    assertTrue(loaded.isSet(loaded.aggregationPrecision()));

    // defaults stay defaults (not set) after a round trip
    Int8Classifier plain = new Int8Classifier("int8clf_plain").setInputShape(Blobs.SHAPE);
    String plainPath = dir.resolve("plain").toString();
    plain.write().save(plainPath);
    Int8Classifier plainLoaded = Int8Classifier.load(plainPath);
    assertSameParams(plain, plainLoaded);
    assertFalse(plainLoaded.isSet(plainLoaded.network()));
    assertEquals("cnn-small", plainLoaded.getNetwork());
  }

  @Test
  void overwriteIsNeededForAnExistingDirectory() throws IOException {
    Int8Classifier c = new Int8Classifier().setInputShape(Blobs.SHAPE);
    String path = dir.resolve("twice").toString();
    c.write().save(path);
    Exception e = org.junit.jupiter.api.Assertions.assertThrows(Exception.class,
        () -> c.write().save(path));
    assertTrue(e.getMessage().contains("already exists"), e.getMessage());
    c.setMaxEpochs(4).write().overwrite().save(path);
    assertEquals(4, Int8Classifier.load(path).getMaxEpochs());
  }

  @Test
  void modelRoundTripPredictsIdenticallyAndKeepsTheSummary() throws IOException {
    String path = dir.resolve("model").toString();
    model.write().save(path);
    for (String f : List.of("metadata.json", "model.si8m", "summary.json",
        "metadata/part-00000")) {
      assertTrue(Files.isRegularFile(dir.resolve("model").resolve(f)), f);
    }
    Int8ClassificationModel loaded = Int8ClassificationModel.load(path);
    assertEquals(model.uid(), loaded.uid());
    assertEquals(model.modelState(), loaded.modelState());
    assertSameParams(model, loaded);
    assertEquals(model.numClasses(), loaded.numClasses());
    assertEquals(model.numFeatures(), loaded.numFeatures());

    assertTrue(loaded.hasSummary());
    Int8TrainingSummary a = model.summary();
    Int8TrainingSummary b = loaded.summary();
    assertEquals(2, b.totalEpochs());
    assertEquals(a.totalEpochs(), b.totalEpochs());
    assertEquals(a.trainingRows(), b.trainingRows());
    assertArrayEquals(a.lossHistory(), b.lossHistory());
    assertArrayEquals(a.trainAccuracyHistory(), b.trainAccuracyHistory());
    assertArrayEquals(a.bytesAggregatedPerStep(), b.bytesAggregatedPerStep());
    for (int i = 0; i < a.totalEpochs(); i++) {
      assertEquals(a.epochs().get(i).steps(), b.epochs().get(i).steps());
      assertEquals(a.epochs().get(i).layers(), b.epochs().get(i).layers());
      assertArrayEquals(a.epochs().get(i).deviation(), b.epochs().get(i).deviation());
      assertArrayEquals(a.epochs().get(i).lrFactor(), b.epochs().get(i).lrFactor());
    }

    assertSamePredictions(model.transform(test), loaded.transform(test));
    // collect, not first(): a partial read of a cached DataFrame leaves its block locked
    Vector x = test.collectAsList().get(0).getAs("features");
    assertArrayEquals(model.predictRaw(x).toArray(), loaded.predictRaw(x).toArray());
  }

  @Test
  void pipelineRoundTripPredictsIdentically() throws IOException {
    Dataset<Row> columns = train.drop("features");
    Int8Classifier clf = Blobs.classifier(3).setFeaturesCol("scaled");
    Pipeline pipeline = new Pipeline().setStages(new PipelineStage[] {
        new VectorAssembler().setInputCols(Blobs.coordinateColumns()).setOutputCol("assembled"),
        new StandardScaler().setInputCol("assembled").setOutputCol("scaled").setWithMean(true),
        clf});
    PipelineModel fitted = pipeline.fit(columns);
    String path = dir.resolve("pipeline").toString();
    fitted.write().save(path);
    PipelineModel loaded = PipelineModel.load(path);
    assertEquals(3, loaded.stages().length);
    Int8ClassificationModel stage = (Int8ClassificationModel) loaded.stages()[2];
    assertEquals(clf.uid(), stage.uid());
    assertEquals(((Int8ClassificationModel) fitted.stages()[2]).modelState(),
        stage.modelState());

    Dataset<Row> testColumns = test.drop("features");
    Dataset<Row> before = fitted.transform(testColumns);
    assertSamePredictions(before, loaded.transform(testColumns));
    double acc = new MulticlassClassificationEvaluator().setMetricName("accuracy").evaluate(before);
    assertTrue(acc > 0.9, "pipeline accuracy on the blobs " + acc);

    // the unfitted pipeline round-trips too, with the estimator's Params
    String pipelinePath = dir.resolve("pipeline-unfitted").toString();
    pipeline.write().save(pipelinePath);
    Pipeline reloaded = Pipeline.load(pipelinePath);
    assertSameParams(clf, (Int8Classifier) reloaded.getStages()[2]);
  }

  @Test
  void explicitLastLayerWidthTrains() {
    Int8ClassificationModel m = Blobs.classifier(1).setNetwork("fc(16)-relu-fc(4)").fit(train);
    assertEquals(4, m.numClasses());
    assertEquals("fc(16)-relu-fc(4)", m.getNetwork());
    assertEquals(200, m.transform(test).count());
  }

  @Test
  void crossValidatorSelectsAStepSizeThatLearns() {
    Int8Classifier clf = Blobs.classifier(2);
    ParamMap[] grid = new ParamGridBuilder()
        .addGrid(clf.stepSize(), new double[] {1e-4, 0.1})
        .build();
    MulticlassClassificationEvaluator accuracy =
        new MulticlassClassificationEvaluator().setMetricName("accuracy");
    CrossValidator cv = new CrossValidator().setEstimator(clf).setEstimatorParamMaps(grid)
        .setEvaluator(accuracy).setNumFolds(2).setSeed(5L);
    CrossValidatorModel cvModel = cv.fit(train);
    double[] metrics = cvModel.avgMetrics();
    assertEquals(2, metrics.length);
    Int8ClassificationModel best = (Int8ClassificationModel) cvModel.bestModel();
    assertNotNull(best.summary());
    assertEquals(0.1, ((Int8Classifier) best.parent()).getStepSize(),
        "cross-validation metrics " + java.util.Arrays.toString(metrics));
    double acc = accuracy.evaluate(best.transform(test));
    // chance is 0.25
    assertTrue(acc > 0.8, "best model accuracy " + acc + ", cv metrics "
        + java.util.Arrays.toString(metrics));
  }

  /** Same rows (by id) with the same values in every output column, bit for bit. */
  static void assertSamePredictions(Dataset<Row> expected, Dataset<Row> actual) {
    Map<Long, Row> a = byId(expected);
    Map<Long, Row> b = byId(actual);
    assertEquals(a.keySet(), b.keySet());
    assertEquals(List.of(expected.columns()), List.of(actual.columns()));
    for (Map.Entry<Long, Row> e : a.entrySet()) {
      Row x = e.getValue();
      Row y = b.get(e.getKey());
      assertEquals(x.<Double>getAs("prediction"), y.<Double>getAs("prediction"));
      assertArrayEquals(x.<Vector>getAs("rawPrediction").toArray(),
          y.<Vector>getAs("rawPrediction").toArray(), "rawPrediction of row " + e.getKey());
      assertArrayEquals(x.<Vector>getAs("probability").toArray(),
          y.<Vector>getAs("probability").toArray(), "probability of row " + e.getKey());
    }
  }

  private static Map<Long, Row> byId(Dataset<Row> df) {
    Map<Long, Row> m = new TreeMap<>();
    for (Row r : df.collectAsList()) {
      m.put(r.<Long>getAs("id"), r);
    }
    return m;
  }
}
