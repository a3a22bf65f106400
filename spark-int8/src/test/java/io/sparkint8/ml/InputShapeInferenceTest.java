package io.sparkint8.ml;

import static io.sparkint8.ml.ParamChecks.assertThrowsIllegalArgument;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkint8.nn.spec.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.ml.image.ImageSchema;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

/**
 * inputShape is optional: fit infers it from an image struct's dimensions, and as [n, 1, 1] from
 * a column of n numbers when the network has no conv/pool layer; with such layers and a column of
 * plain numbers it fails before training, naming inputShape.
 */
class InputShapeInferenceTest {

  /** The blob classifier without its inputShape. */
  private static Int8Classifier withoutShape(int epochs) {
    Int8Classifier clf = Blobs.classifier(epochs);
    clf.clear(clf.inputShape());
    assertFalse(clf.isDefined(clf.inputShape()));
    return clf;
  }

  @Test
  void anMlpOnAPlainNumericVectorFitsAndPredicts() {
    Dataset<Row> train = Blobs.frame(400, 5L, 2);
    Int8ClassificationModel model = withoutShape(3).setNetwork("mlp").fit(train);
    assertArrayEquals(new int[] {Blobs.DIM, 1, 1}, model.getInputShape());
    Dataset<Row> out = model.transform(Blobs.frame(200, 6L, 2));
    double accuracy =
        new MulticlassClassificationEvaluator().setMetricName("accuracy").evaluate(out);
    // the blobs are well separated; chance is 0.25
    assertTrue(accuracy > 0.9, "accuracy " + accuracy);
  }

  @Test
  void aConvNetworkOnPlainNumbersFailsBeforeTrainingNamingInputShape() {
    Dataset<Row> train = Blobs.frame(40, 5L, 2);
    AtomicInteger epochs = new AtomicInteger();
    Int8Classifier clf = withoutShape(1).setNetwork("conv(4,3,p=1)-relu-maxpool(2)-fc")
        .setEpochListener(e -> epochs.incrementAndGet());
    assertThrowsIllegalArgument(() -> clf.fit(train), "inputShape is not set",
        "features column 'features' holds vectors", "network 'conv(4,3,p=1)-relu-maxpool(2)-fc'",
        "has conv/pool layers", "Expected inputShape = (channels, height, width)");
    assertEquals(0, epochs.get());
    // the same check runs in transformSchema, i.e. before a Pipeline reads any data
    assertThrowsIllegalArgument(() -> clf.transformSchema(train.schema()),
        "inputShape is not set");
    // the default network (cnn-small) is such a network
    Int8Classifier byDefault = new Int8Classifier();
    assertThrowsIllegalArgument(() -> byDefault.transformSchema(train.schema()),
        "inputShape is not set", "network 'cnn-small'");
  }

  @Test
  void imageStructsGiveTheirOwnShape() {
    StructType schema = new StructType()
        .add("label", DataTypes.DoubleType, false)
        .add("image", ImageSchema.columnSchema(), false);
    // 3 channels, 4 high, 2 wide: class 1 is bright in its top half, class 0 in its bottom half
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 64; i++) {
      int label = i % 2;
      byte[] pixels = new byte[4 * 2 * 3];
      for (int p = 0; p < pixels.length; p++) {
        boolean top = p < pixels.length / 2;
        pixels[p] = (byte) (top == (label == 1) ? 200 + i % 7 : 20 + i % 5);
      }
      rows.add(RowFactory.create((double) label,
          RowFactory.create("file:/img" + i + ".png", 4, 2, 3, 16, pixels)));
    }
    Dataset<Row> images = Blobs.frame(rows, schema, 2);
    Int8ClassificationModel model = withoutShape(4).setFeaturesCol("image")
        .setNetwork("conv(4,3,p=1)-relu-fc").setBatchSize(16).fit(images);
    assertArrayEquals(new int[] {3, 4, 2}, model.getInputShape(), "(nChannels, height, width)");
    double accuracy = new MulticlassClassificationEvaluator().setMetricName("accuracy")
        .evaluate(model.transform(images));
    assertTrue(accuracy > 0.9, "accuracy " + accuracy);
  }

  @Test
  void plainNumbersGiveTheirCountFromMetadataOrTheFirstRow() {
    Dataset<Row> blobs = Blobs.frame(40, 5L, 2);
    Int8Classifier clf = withoutShape(1);
    // a VectorAssembler states the size in the column's metadata
    Dataset<Row> assembled = new VectorAssembler().setInputCols(Blobs.coordinateColumns())
        .setOutputCol("assembled").transform(blobs.drop("features"));
    assertEquals(Shape.chw(Blobs.DIM, 1, 1), InputShapes.resolve(clf, assembled, "assembled"));
    // arrays and metadata-free vectors: the first row's length
    Dataset<Row> arrays = blobs.withColumn("xs", functions.array(
        functions.col("x0"), functions.col("x1"), functions.col("x2")));
    assertEquals(Shape.chw(3, 1, 1), InputShapes.resolve(clf, arrays, "xs"));
    assertEquals(Shape.chw(Blobs.DIM, 1, 1), InputShapes.resolve(clf, blobs, "features"));
    // a set inputShape wins
    assertEquals(Shape.chw(2, 2, 2),
        InputShapes.resolve(clf.copy(ParamMap.empty())
            .setInputShape(new int[] {2, 2, 2}), blobs, "features"));
    Dataset<Row> empty = blobs.limit(0);
    assertThrowsIllegalArgument(() -> InputShapes.resolve(clf, empty, "features"),
        "no row with a value in features column 'features'", "to infer inputShape");
  }
}
