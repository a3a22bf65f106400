package io.sparkint8.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import io.sparkint8.ml.Int8ClassificationModel;
import io.sparkint8.ml.Int8Classifier;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * export-onnx on a saved model: the file it writes loads in ONNX Runtime (all optimizations on)
 * and predicts every row as the model's transform does.
 */
class ExportOnnxTest {
  @Test
  void exportedFileLoadsAndPredictsAsTransform(@TempDir Path tmp) throws Exception {
    Dataset<Row> data = blobs(400, 11L);
    Int8ClassificationModel model = new Int8Classifier()
        .setInputShape(new int[] {1, 4, 4})
        .setNetwork("conv(4,3)-bn-relu-fc(8)-relu-fc")
        .setBatchSize(64)
        .setMaxEpochs(2)
        .fit(data);
    String modelDir = tmp.resolve("model").toString();
    model.write().save(modelDir);
    Path out = tmp.resolve("out").resolve("m.onnx");
    long bytes = ExportOnnx.run(modelDir, out);
    assertEquals(Files.size(out), bytes);

    List<Row> rows = model.transform(data).select("features", "prediction").collectAsList();
    float[] x = new float[rows.size() * 16];
    for (int r = 0; r < rows.size(); r++) {
      double[] v = ((Vector) rows.get(r).get(0)).toArray();
      for (int j = 0; j < 16; j++) {
        x[r * 16 + j] = (float) v[j];
      }
    }
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
      try (OrtSession session = env.createSession(out.toString(), options);
          OnnxTensor input = OnnxTensor.createTensor(env, FloatBuffer.wrap(x),
              new long[] {rows.size(), 16});
          OrtSession.Result result = session.run(Map.of("features", input))) {
        float[][] probability = (float[][]) result.get("probability").get().getValue();
        int same = 0;
        for (int r = 0; r < rows.size(); r++) {
          int best = 0;
          for (int j = 1; j < probability[r].length; j++) {
            best = probability[r][j] > probability[r][best] ? j : best;
          }
          same += best == (int) rows.get(r).getDouble(1) ? 1 : 0;
        }
        assertEquals(rows.size(), same, "predictions of ONNX Runtime equal to transform's");
      }
    }
    try (var beside = Files.list(out.getParent())) {
      assertEquals(1, beside.count(), "no scratch left beside " + out);
    }
  }

  /** Three classes of 16 features around different centres. */
  private static Dataset<Row> blobs(int n, long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      int label = i % 3;
      double[] f = new double[16];
      for (int j = 0; j < 16; j++) {
        f[j] = (j % 3 == label ? 1.5 : 0) + rnd.nextGaussian() * 0.5;
      }
      rows.add(RowFactory.create((double) label, Vectors.dense(f)));
    }
    StructType schema = new StructType().add("label", DataTypes.DoubleType, false)
        .add("features", SQLDataTypes.VectorType(), false);
    return ExampleSession.get().createDataFrame(rows, schema).repartition(2);
  }
}
