package io.sparkint8.ml;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A model saved by an earlier build keeps loading and predicting the same. The fixture
 * {@code src/test/resources/golden/int8-model-v1/} (metadata.json, model.si8m, summary.json:
 * persistence formatVersion 1, SI8M v1) was written once by {@link #regenerate}, together with
 * {@code golden/int8-model-v1-expected-predictions.json}: fixed input vectors and the classes,
 * probabilities and logits the model gave them then.
 *
 * <p>Never regenerate to make this test pass: a failure means old saved models no longer load
 * or no longer predict as they did. Regenerate only for a deliberate new format version (add a
 * new {@code int8-model-vN} directory and keep the old one):
 *
 * <pre>
 * mvn -B -q -pl spark-int8 -am test -Dtest='GoldenModelTest#regenerate' -Dgolden.regenerate=true \
 *     -Dsurefire.failIfNoSpecifiedTests=false
 * </pre>
 */
class GoldenModelTest {
  static final String NAME = "int8-model-v1";
  static final String EXPECTED = NAME + "-expected-predictions.json";
  static final double TOLERANCE = 1e-6;
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path tmp;

  static Path goldenDir() throws URISyntaxException {
    URL url = GoldenModelTest.class.getResource("/golden/" + NAME + "/metadata.json");
    assertNotNull(url, "golden fixture /golden/" + NAME + " is not on the test classpath");
    return Path.of(url.toURI()).getParent();
  }

  static JsonNode expected() throws IOException, URISyntaxException {
    return JSON.readTree(goldenDir().resolveSibling(EXPECTED).toFile());
  }

  @Test
  void goldenModelLoadsWithItsParamsAndSummary() throws Exception {
    SparkTestSession.get();
    Int8ClassificationModel m = Int8ClassificationModel.load(goldenDir().toString());
    JsonNode exp = expected();
    assertEquals(exp.path("uid").asText(), m.uid());
    assertEquals(Blobs.CLASSES, m.numClasses());
    assertEquals(Blobs.DIM, m.numFeatures());
    assertArrayEquals(Blobs.SHAPE, m.getInputShape());
    assertEquals(exp.path("network").asText(), m.getNetwork());
    assertEquals(1, m.modelState().batchNormNames().size(), "the golden network has one BatchNorm");
    assertTrue(m.hasSummary());
    assertEquals(exp.path("epochs").asInt(), m.summary().totalEpochs());
    assertEquals(exp.path("trainingRows").asLong(), m.summary().trainingRows());
    double[] loss = m.summary().lossHistory();
    for (int i = 0; i < loss.length; i++) {
      assertEquals(exp.path("lossHistory").get(i).asDouble(), loss[i], 0.0, "loss " + i);
    }
  }

  @ParameterizedTest(name = "backend {0}")
  @ValueSource(strings = {"auto", "java"})
  void goldenModelPredictsAsWhenItWasSaved(String backend) throws Exception {
    SparkTestSession.get();
    Int8ClassificationModel m = Int8ClassificationModel.load(goldenDir().toString())
        .setBackend(backend);
    JsonNode rows = expected().path("rows");
    assertTrue(rows.size() >= 8);
    List<Row> in = new ArrayList<>();
    for (JsonNode r : rows) {
      in.add(RowFactory.create(r.path("id").asLong(), Vectors.dense(doubles(r.path("features")))));
    }
    // as when the fixture was written: all rows in one partition, hence one batch, in id order
    // (activations are quantized per tensor over a batch, so a row's logits depend slightly on
    // the rows batched with it)
    Dataset<Row> df = Blobs.frame(in, inputSchema(), 1);
    List<Row> out = m.transform(df).collectAsList();
    assertEquals(rows.size(), out.size());
    int distinct = (int) out.stream().map(r -> r.<Double>getAs("prediction")).distinct().count();
    assertTrue(distinct > 1, "the golden model predicts one class only");
    for (Row r : out) {
      JsonNode e = rows.get((int) r.<Long>getAs("id").longValue());
      String what = "row " + e.path("id").asLong() + " (" + backend + ")";
      assertEquals(e.path("prediction").asDouble(), r.<Double>getAs("prediction"), 0.0, what);
      assertArrayEquals(doubles(e.path("probability")), r.<Vector>getAs("probability").toArray(),
          TOLERANCE, what + " probability");
      assertArrayEquals(doubles(e.path("rawPrediction")),
          r.<Vector>getAs("rawPrediction").toArray(), TOLERANCE, what + " rawPrediction");
      // the single-row path (a batch of one)
      assertArrayEquals(doubles(e.path("rawPredictionSingleRow")),
          m.predictRaw(Vectors.dense(doubles(e.path("features")))).toArray(), TOLERANCE,
          what + " predictRaw");
    }
  }

  @Test
  void goldenModelSurvivesAResave() throws Exception {
    SparkTestSession.get();
    Int8ClassificationModel m = Int8ClassificationModel.load(goldenDir().toString());
    String again = tmp.resolve("resaved").toString();
    m.write().save(again);
    Int8ClassificationModel back = Int8ClassificationModel.load(again);
    assertEquals(m.modelState(), back.modelState());
    assertEquals(m.uid(), back.uid());
    assertArrayEquals(m.summary().lossHistory(), back.summary().lossHistory());
    assertArrayEquals(Files.readAllBytes(goldenDir().resolve("model.si8m")),
        Files.readAllBytes(Path.of(again, "model.si8m")), "SI8M bytes changed on a re-save");
  }

  /**
   * Writes the fixture: a 2-epoch seeded fit of fc(16)-bn-relu-fc on 400 blob rows, the saved
   * model, and the predictions for the four class centers and four seeded random points, by
   * {@code transform} (one batch of all eight rows) and by {@code predictRaw} (one row at a
   * time). Runs only with {@code -Dgolden.regenerate=true}; see the class comment.
   */
  @Test
  @EnabledIfSystemProperty(named = "golden.regenerate", matches = "true",
      disabledReason = "writes the golden fixture; run with -Dgolden.regenerate=true")
  void regenerate() throws IOException {
    Path resources = Path.of(System.getProperty("basedir", "."), "src", "test", "resources",
        "golden");
    Int8Classifier clf = new Int8Classifier("int8clf_golden_v1")
        .setInputShape(Blobs.SHAPE).setNetwork("fc(16)-bn-relu-fc").setBatchSize(64)
        .setMaxEpochs(2).setLrScaling("none").setStepSize(0.1).setWarmupEpochs(0)
        .setSeed(20240601L);
    Int8ClassificationModel m = clf.fit(Blobs.frame(400, 21L, 2));
    Path saved = tmp.resolve("saved");
    m.write().save(saved.toString());
    Path target = resources.resolve(NAME);
    Files.createDirectories(target);
    for (String f : List.of(Int8Persistence.METADATA, Int8Persistence.MODEL,
        Int8Persistence.SUMMARY)) {
      // only the files themselves, not Hadoop's .crc side files
      Files.copy(saved.resolve(f), target.resolve(f), StandardCopyOption.REPLACE_EXISTING);
    }

    List<Row> in = new ArrayList<>();
    for (int k = 0; k < Blobs.CLASSES; k++) {
      in.add(RowFactory.create((long) k, Vectors.dense(Blobs.center(k))));
    }
    Random r = new Random(77L);
    for (int i = 0; i < 4; i++) {
      double[] x = new double[Blobs.DIM];
      for (int j = 0; j < x.length; j++) {
        x[j] = Math.round(r.nextGaussian() * 3 * 1000) / 1000.0;
      }
      in.add(RowFactory.create((long) (Blobs.CLASSES + i), Vectors.dense(x)));
    }
    List<Row> out = m.transform(Blobs.frame(in, inputSchema(), 1)).orderBy("id").collectAsList();
    ObjectNode root = JSON.createObjectNode();
    root.put("comment", "written by GoldenModelTest.regenerate; do not edit");
    root.put("uid", m.uid());
    root.put("network", m.getNetwork());
    root.put("epochs", m.summary().totalEpochs());
    root.put("trainingRows", m.summary().trainingRows());
    ArrayNode loss = root.putArray("lossHistory");
    for (double v : m.summary().lossHistory()) {
      loss.add(v);
    }
    ArrayNode rows = root.putArray("rows");
    for (Row o : out) {
      ObjectNode n = rows.addObject();
      n.put("id", o.<Long>getAs("id"));
      array(n.putArray("features"), o.<Vector>getAs("features").toArray());
      n.put("prediction", o.<Double>getAs("prediction"));
      array(n.putArray("probability"), o.<Vector>getAs("probability").toArray());
      array(n.putArray("rawPrediction"), o.<Vector>getAs("rawPrediction").toArray());
      array(n.putArray("rawPredictionSingleRow"),
          m.predictRaw(o.<Vector>getAs("features")).toArray());
    }
    Files.writeString(resources.resolve(EXPECTED), root.toPrettyString() + "\n");
    System.out.println("golden fixture written to " + target.toAbsolutePath());
  }

  static StructType inputSchema() {
    return new StructType().add("id", DataTypes.LongType, false)
        .add("features", SQLDataTypes.VectorType(), false);
  }

  private static void array(ArrayNode a, double[] values) {
    for (double v : values) {
      a.add(v);
    }
  }

  private static double[] doubles(JsonNode a) {
    double[] d = new double[a.size()];
    for (int i = 0; i < d.length; i++) {
      d[i] = a.get(i).asDouble();
    }
    return d;
  }
}
