package io.sparkint8.ml;


import static io.sparkint8.ml.ParamChecks.assertIllegalArgument;
import static io.sparkint8.ml.ParamChecks.assertThrowsIllegalArgument;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.ml.attribute.NominalAttribute;
import org.apache.spark.ml.image.ImageSchema;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad input is an IllegalArgumentException from {@code fit} before the first training step (no
 * epoch finishes, no cached shard stays behind), whose message names the column, the value found
 * and what was expected; bad model directories fail to load the same way, and {@code transform}
 * of bad rows fails with the same kind of message in its cause chain.
 */
class BadInputTest {
  /** Rows per test frame (in two partitions) and the id of the one bad row. */
  private static final int ROWS = 40;
  private static final int BAD_ROW = 30;

  @TempDir Path dir;

  private final AtomicInteger epochs = new AtomicInteger();

  @AfterEach
  void nothingTrainedNothingLeftCached() {
    assertEquals(0, epochs.get(), "an epoch finished although the input was bad");
    JavaSparkContext jsc =
        JavaSparkContext.fromSparkContext(SparkTestSession.get().sparkContext());
    for (Map.Entry<Integer, JavaRDD<?>> e : jsc.getPersistentRDDs().entrySet()) {
      String name = e.getValue().name();
      assertTrue(name == null || !name.startsWith("spark-int8"),
          "left cached after a failed fit: " + name);
    }
  }

  private Int8Classifier classifier() {
    return Blobs.classifier(1).setBatchSize(8).setEpochListener(e -> epochs.incrementAndGet());
  }

  static StructType nullableSchema() {
    return new StructType()
        .add("id", DataTypes.LongType, false)
        .add("label", DataTypes.DoubleType, true)
        .add("features", SQLDataTypes.VectorType(), true);
  }

  /** 40 blob rows (label i % 4) in 2 partitions, row {@link #BAD_ROW} replaced by {@code bad}. */
  static Dataset<Row> withBadRow(UnaryOperator<Object[]> bad) {
    List<Row> rows = new ArrayList<>();
    for (Row r : Blobs.frame(ROWS, 3L, 1).select("id", "label", "features").collectAsList()) {
      Object[] v = {r.get(0), r.get(1), r.get(2)};
      rows.add(RowFactory.create(r.getLong(0) == BAD_ROW ? bad.apply(v) : v));
    }
    return Blobs.frame(rows, nullableSchema(), 2);
  }

  static Object[] features(Object[] row, double... x) {
    return new Object[] {row[0], row[1], Vectors.dense(x)};
  }

  static Object[] label(Object[] row, Double label) {
    return new Object[] {row[0], label, row[2]};
  }

  @Test
  void wrongFeatureLength() {
    Dataset<Row> df = withBadRow(r -> features(r, 1, 2, 3, 4, 5, 6, 7));
    assertThrowsIllegalArgument(() -> classifier().fit(df), "features column 'features'",
        "found 7 values", "expected 8 (the product of inputShape)");
  }

  @Test
  void nanFeature() {
    Dataset<Row> df = withBadRow(r -> features(r, 0, 0, 0, Double.NaN, 0, 0, 0, 0));
    assertThrowsIllegalArgument(() -> classifier().fit(df), "features column 'features'",
        "found NaN at position 3", "expected finite numbers");
  }

  @Test
  void infiniteFeature() {
    Dataset<Row> df = withBadRow(
        r -> features(r, 0, 0, 0, 0, 0, 0, Double.NEGATIVE_INFINITY, 0));
    assertThrowsIllegalArgument(() -> classifier().fit(df), "features column 'features'",
        "found -Infinity at position 6", "expected finite numbers");
  }

  @Test
  void nullFeatures() {
    Dataset<Row> df = withBadRow(r -> new Object[] {r[0], r[1], null});
    assertThrowsIllegalArgument(() -> classifier().fit(df), "features column 'features'",
        "found null", "expected a value");
  }

  @Test
  void nullLabel() {
    Dataset<Row> df = withBadRow(r -> label(r, null));
    assertThrowsIllegalArgument(() -> classifier().fit(df), "label column 'label'",
        "found null", "expected a class index");
  }

  @Test
  void negativeLabel() {
    Dataset<Row> df = withBadRow(r -> label(r, -1.0));
    assertThrowsIllegalArgument(() -> classifier().fit(df), "label column 'label'",
        "found -1.0", "expected an integer class index >= 0");
  }

  @Test
  void nonIntegerLabel() {
    Dataset<Row> df = withBadRow(r -> label(r, 1.5));
    assertThrowsIllegalArgument(() -> classifier().fit(df), "label column 'label'",
        "found 1.5", "expected an integer class index >= 0");
  }

  @Test
  void labelAtOrAboveTheNominalNumberOfClasses() {
    // labels 0..2, row 30 says 3, and the column's metadata says 3 classes
    Dataset<Row> df = withBadRow(r -> label(r, 3.0))
        .withColumn("label", functions.when(functions.col("id").equalTo(BAD_ROW), 3.0)
            .otherwise(functions.col("id").mod(3).cast("double")));
    Dataset<Row> nominal = df.withColumn("label", functions.col("label").as("label",
        NominalAttribute.defaultAttr().withNumValues(3).toMetadata()));
    assertEquals(3, Int8Classifier.numClassesFromMetadata(nominal.schema(), "label"));
    assertThrowsIllegalArgument(() -> classifier().fit(nominal), "label column 'label'",
        "found 3.0", "expected a class index below numClasses = 3");
  }

  @Test
  void emptyDataset() {
    Dataset<Row> empty = Blobs.frame(ROWS, 3L, 2).filter(functions.lit(false));
    assertThrowsIllegalArgument(() -> classifier().fit(empty), "training dataset is empty",
        "0 rows", "expected at least one row");
  }

  @Test
  void emptyAfterHoldingOutValidationRows() {
    Dataset<Row> allValidation = Blobs.frame(ROWS, 3L, 2)
        .withColumn("isVal", functions.lit(true));
    assertThrowsIllegalArgument(
        () -> classifier().setValidationIndicatorCol("isVal").fit(allValidation),
        "training dataset is empty", "isVal");
  }

  @Test
  void fewerRowsThanPartitions() {
    Dataset<Row> three = Blobs.frame(3, 3L, 4);
    assertThrowsIllegalArgument(() -> classifier().fit(three), "3 rows in 4 partitions",
        "expected at least as many rows as partitions");
    assertThrowsIllegalArgument(
        () -> classifier().setNumPartitions(5).fit(Blobs.frame(4, 3L, 1)),
        "4 rows in 5 partitions");
  }

  @Test
  void globalBatchSmallerThanThePartitions() {
    Dataset<Row> df = Blobs.frame(ROWS, 3L, 4);
    assertThrowsIllegalArgument(() -> classifier().setBatchSize(3).fit(df), "batchSize=3",
        "4 partitions", "expected batchSize >= the number of partitions");
  }

  @Test
  void unknownLayerInNetwork() {
    Dataset<Row> df = Blobs.frame(ROWS, 3L, 2);
    assertThrowsIllegalArgument(() -> classifier().setNetwork("fc(16)-relu-dense").fit(df),
        "network 'fc(16)-relu-dense'", "at position 13, 'dense'", "unknown layer 'dense'");
    assertThrowsIllegalArgument(() -> classifier().setNetwork("cnn-tiny").fit(df),
        "network 'cnn-tiny'", "at position 1");
  }

  @Test
  void malformedNetwork() {
    Dataset<Row> df = Blobs.frame(ROWS, 3L, 2);
    assertThrowsIllegalArgument(() -> classifier().setNetwork("fc(16-relu-fc").fit(df),
        "network 'fc(16-relu-fc'", "at position 6, '-'", "missing ')'");
    assertThrowsIllegalArgument(() -> classifier().setNetwork("fc(16)--fc").fit(df),
        "network 'fc(16)--fc'", "at position");
  }

  @Test
  void networkThatDoesNotFitTheInputShape() {
    Dataset<Row> df = Blobs.frame(ROWS, 3L, 2);
    // a 2x2 pooling window does not fit into 8x1x1 inputs
    assertThrowsIllegalArgument(() -> classifier().setNetwork("maxpool(2)-fc").fit(df),
        "network 'maxpool(2)-fc' does not fit inputShape [8, 1, 1]", "layer 1 'maxpool(2)'",
        "kernel 2 is larger than the padded input 1x1");
    // an explicit last layer that disagrees with the 4 classes of the labels
    assertThrowsIllegalArgument(() -> classifier().setNetwork("fc(16)-relu-fc(3)").fit(df),
        "network 'fc(16)-relu-fc(3)'", "4 classes", "the last layer has 3 outputs");
  }

  @Test
  void incompatibleParams() {
    Dataset<Row> df = Blobs.frame(ROWS, 3L, 2);
    assertThrowsIllegalArgument(
        () -> classifier().setGradientBits(4).setPrecision("fp32").fit(df),
        "gradientBits=4 needs precision=int8", "precision=fp32");
    assertThrowsIllegalArgument(
        () -> classifier().setGradientBits(4).setPrecision("int8-forward").fit(df),
        "gradientBits=4", "precision=int8-forward");
    assertThrowsIllegalArgument(() -> classifier().setMomentum(0).fit(df),
        "nesterov=true needs momentum > 0");
  }

  @Test
  void imagesOfMixedSizes() {
    StructType schema = new StructType()
        .add("label", DataTypes.DoubleType, false)
        .add("image", ImageSchema.columnSchema(), false);
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      int side = i == 9 ? 3 : 2;
      byte[] pixels = new byte[side * side];
      pixels[i % pixels.length] = (byte) 200;
      rows.add(RowFactory.create((double) (i % 2),
          RowFactory.create("file:/img" + i + ".png", side, side, 1, 0, pixels)));
    }
    Dataset<Row> images = Blobs.frame(rows, schema, 2);
    Int8Classifier clf = classifier().setInputShape(new int[] {1, 2, 2}).setFeaturesCol("image");
    assertThrowsIllegalArgument(() -> clf.fit(images), "features column 'image'",
        "found an image of height x width x channels 3x3x1", "expected every image 2x2x1");
  }

  @Test
  void modelDirectoryWithoutModelFile() throws IOException {
    SparkTestSession.get();
    Path model = dir.resolve("model");
    TinyModels.model("int8clf_incomplete").write().save(model.toString());
    Files.delete(model.resolve("model.si8m"));
    Files.deleteIfExists(model.resolve(".model.si8m.crc"));
    assertThrowsIllegalArgument(() -> Int8ClassificationModel.load(model.toString()),
        model.toString(), "is missing model.si8m", "expected metadata.json and model.si8m");
  }

  @Test
  void modelDirectoryOfAFutureFormatVersion() throws IOException {
    SparkTestSession.get();
    Path model = dir.resolve("model");
    TinyModels.model("int8clf_future").write().save(model.toString());
    Path meta = model.resolve("metadata.json");
    String text = Files.readString(meta, StandardCharsets.UTF_8);
    String future = text.replaceFirst("\"formatVersion\"\\s*:\\s*1", "\"formatVersion\" : 99");
    assertTrue(!future.equals(text), "formatVersion not found in " + text);
    Files.writeString(meta, future, StandardCharsets.UTF_8);
    Files.deleteIfExists(model.resolve(".metadata.json.crc"));
    assertThrowsIllegalArgument(() -> Int8ClassificationModel.load(model.toString()),
        "formatVersion 99", "reads formatVersion 1..1");
  }

  @Test
  void directoryOfTheOtherStage() throws IOException {
    SparkTestSession.get();
    String path = dir.resolve("estimator").toString();
    new Int8Classifier().setInputShape(Blobs.SHAPE).write().save(path);
    assertThrowsIllegalArgument(() -> Int8ClassificationModel.load(path), "is missing model.si8m");
    String modelPath = dir.resolve("model").toString();
    TinyModels.model("int8clf_other").write().save(modelPath);
    assertThrowsIllegalArgument(() -> Int8Classifier.load(modelPath),
        "holds io.sparkint8.ml.Int8ClassificationModel", "expected io.sparkint8.ml.Int8Classifier");
  }

  @Test
  void transformWithWrongFeatureLength() {
    Int8ClassificationModel model = TinyModels.model("int8clf_transform");
    Dataset<Row> bad = withBadRow(r -> features(r, 1, 2, 3));
    assertIllegalArgument(() -> model.transform(bad).collectAsList(),
        "features column 'features'", "found 3 values", "expected 8");
    assertThrowsIllegalArgument(() -> model.predictRaw(Vectors.dense(1, 2, 3)),
        "features of length 3", "expected 8");
    Dataset<Row> nan = withBadRow(r -> features(r, 0, 0, Double.NaN, 0, 0, 0, 0, 0));
    assertIllegalArgument(() -> model.transform(nan).collectAsList(),
        "features column 'features'", "found NaN at position 2");
  }
}
