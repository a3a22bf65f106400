package io.sparkint8.ml;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkint8.nn.ModelState;
import io.sparkint8.onnx.OnnxExport;
import io.sparkint8.onnx.OnnxRuntimeRunner;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.apache.spark.SparkException;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code model.write().format("onnx").save(dir)} on models trained briefly on Fashion-MNIST:
 * ONNX Runtime (all graph optimizations on) loads {@code dir/model.onnx} and predicts what {@code
 * transform} predicts on 2,000 test rows, the int8 weights take about a quarter of the fp32
 * parameter bytes, and the default format still writes what {@code load} reads.
 */
class OnnxExportTest {
  private static final int TEST_ROWS = 2000;
  private static Dataset<Row> train;
  private static Dataset<Row> test;

  @TempDir Path dir;

  @BeforeAll
  static void data() {
    train = SparkTestSession.fashion(3000, false, 2).cache();
    test = SparkTestSession.fashion(TEST_ROWS, true, 2).cache();
  }

  @AfterAll
  static void release() {
    train.unpersist();
    test.unpersist();
  }

  @ParameterizedTest(name = "{0}, weights {1}")
  @CsvSource(delimiter = ';', value = {
    "mlp; per-channel",
    "cnn-small; per-channel",
    "resnet8; per-channel",
    "conv(16,3)-bn-l1-relu-maxpool(2)-conv(32,3,s=2)-bn-l1-relu-avgpool(2,s=1,p=1)"
        + "-dropout(0.2)-fc(64)-bn-l1-relu-fc; per-tensor"
  })
  void onnxRuntimePredictsWhatTransformPredicts(String network, String weightScaling)
      throws Exception {
    Int8ClassificationModel model = new Int8Classifier()
        .setInputShape(new int[] {1, 28, 28})
        .setNetwork(network)
        .setWeightScaling(weightScaling)
        .setBatchSize(256)
        .setMaxEpochs(1)
        .setWarmupEpochs(0.25)
        .setSeed(7L)
        .fit(train);
    Path out = dir.resolve("onnx");
    model.write().format("onnx").save(out.toString());
    byte[] onnx = Files.readAllBytes(out.resolve(OnnxModelFormat.FILE));

    List<Row> rows = model.transform(test)
        .select("features", "rawPrediction", "probability", "prediction").collectAsList();
    assertEquals(TEST_ROWS, rows.size());
    int size = model.numFeatures();
    float[] features = new float[TEST_ROWS * size];
    for (int r = 0; r < TEST_ROWS; r++) {
      double[] v = ((Vector) rows.get(r).get(0)).toArray();
      for (int j = 0; j < size; j++) {
        features[r * size + j] = (float) v[j];
      }
    }
    OnnxRuntimeRunner.Outputs got;
    try (OnnxRuntimeRunner runner = new OnnxRuntimeRunner(onnx)) {
      got = runner.run(features, TEST_ROWS);
    }
    int same = 0;
    double maxDelta = 0;
    for (int r = 0; r < TEST_ROWS; r++) {
      double[] p = ((Vector) rows.get(r).get(2)).toArray();
      int argmax = 0;
      for (int j = 0; j < p.length; j++) {
        maxDelta = Math.max(maxDelta, Math.abs(p[j] - got.probability()[r][j]));
        if (got.rawPrediction()[r][j] > got.rawPrediction()[r][argmax]) {
          argmax = j;
        }
      }
      same += argmax == (int) rows.get(r).getDouble(3) ? 1 : 0;
    }
    double fp32Bytes = 4.0 * parameterCount(model.modelState());
    OnnxExport.Result export = OnnxExport.export(model.modelState());
    String report = String.format(Locale.ROOT, "%s: %d/%d predictions equal, max |dp| %.2e, "
        + "model.onnx %d bytes = %.3f x %d fp32 parameter bytes (weights, scales and constants "
        + "%.3f x)", network, same, TEST_ROWS, maxDelta, onnx.length, onnx.length / fp32Bytes,
        (long) fp32Bytes, export.initializerBytes() / fp32Bytes);
    System.out.println(report);
    assertTrue(same >= 0.999 * TEST_ROWS, report);
    assertTrue(maxDelta <= 1e-3, report);
    assertArrayEquals(export.bytes(), onnx, "the writer writes OnnxExport's bytes");
    // int8 weight codes plus fp32 biases, scales and BN statistics: about a quarter; the graph's
    // nodes add ~15 kB, which shows in small models (resnet8: 0.32 x in all)
    assertTrue(export.initializerBytes() < 0.28 * fp32Bytes, report);
  }

  @Test
  void defaultAndInternalFormatsWriteWhatLoadReads() throws IOException {
    Int8ClassificationModel model = Blobs.classifier(2).fit(Blobs.frame(256, 3L, 2));
    String plain = dir.resolve("plain").toString();
    String internal = dir.resolve("internal").toString();
    model.write().save(plain);
    model.write().format("internal").save(internal);
    for (String path : List.of(plain, internal)) {
      Int8ClassificationModel loaded = Int8ClassificationModel.load(path);
      assertEquals(model.uid(), loaded.uid());
      assertEquals(model.modelState(), loaded.modelState(), path);
    }
    assertArrayEquals(Files.readAllBytes(Path.of(plain, Int8Persistence.MODEL)),
        Files.readAllBytes(Path.of(internal, Int8Persistence.MODEL)));
  }

  @Test
  void onnxFormatHonoursOverwriteAndUnknownFormatsFail() throws IOException {
    Int8ClassificationModel model = Blobs.classifier(2).fit(Blobs.frame(256, 4L, 2));
    String path = dir.resolve("exported").toString();
    model.write().format("ONNX").save(path); // format names match case-insensitively, as Spark's
    assertTrue(Files.size(Path.of(path, OnnxModelFormat.FILE)) > 0);
    Exception exists = assertThrows(Exception.class, () -> model.write().format("onnx").save(path));
    assertTrue(exists.getMessage().contains("already exists"), exists.getMessage());
    model.write().format("onnx").overwrite().save(path);
    SparkException e = assertThrows(SparkException.class,
        () -> model.write().format("pmml").save(dir.resolve("pmml").toString()));
    assertTrue(e.getMessage().contains("pmml"), e.getMessage());
  }

  private static long parameterCount(ModelState state) {
    long n = 0;
    for (String name : state.parameterNames()) {
      n += state.parameter(name).length;
    }
    return n;
  }
}
