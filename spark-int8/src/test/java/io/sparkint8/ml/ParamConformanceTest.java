package io.sparkint8.ml;

import static io.sparkint8.ml.ParamChecks.assertSameParams;
import static io.sparkint8.ml.ParamChecks.assertThrowsIllegalArgument;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.spark.ml.image.ImageSchema;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.Params;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Both stages behave as MLlib stages do: every Param documented, defaulted or clearly required,
 * owned by the stage's uid, validated when set; {@code copy} keeps uid and Params;
 * {@code transformSchema} appends the three output columns and rejects bad schemas. No Spark
 * session is needed here.
 */
class ParamConformanceTest {
  /** Params that are optional by design: no default, and reading them unset is not an error. */
  private static final Set<String> OPTIONAL = Set.of("thresholds", "validationIndicatorCol",
      "checkpointDir");

  static Stream<Arguments> stages() {
    return Stream.of(
        Arguments.of("Int8Classifier", new Int8Classifier("int8clf_conformance")),
        Arguments.of("Int8ClassificationModel", TinyModels.model("int8clf_conformance_model")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("stages")
  void everyParamIsDocumentedAndDefaultedOrRequired(String name, Int8ClassifierParams stage) {
    for (Param<?> p : stage.params()) {
      assertFalse(p.doc() == null || p.doc().isBlank(), p.name() + " has no doc");
      if (stage.hasDefault(p)) {
        assertTrue(stage.isDefined(p), p.name());
      } else if (p.name().equals("inputShape")) {
        // the model takes inputShape from its network; the estimator may infer it at fit
        assertTrue(stage instanceof Int8Classifier || stage.isSet(p), p.name());
      } else {
        assertTrue(OPTIONAL.contains(p.name()),
            p.name() + " has neither a default nor a 'must set' check");
      }
    }
    for (String optional : OPTIONAL) {
      assertTrue(stage.hasParam(optional), optional);
      assertFalse(stage.isDefined(stage.getParam(optional)), optional + " is optional");
    }
    assertNull(stage.getValidationIndicatorCol());
  }

  @Test
  void unsetInputShapeIsInferredWhereTheColumnAndNetworkAllow() {
    Int8Classifier clf = new Int8Classifier();
    assertFalse(clf.isDefined(clf.inputShape()));
    assertThrowsIllegalArgument(clf::getInputShape, "inputShape is not set");
    StructType vectors = new StructType().add("label", DataTypes.DoubleType)
        .add("features", SQLDataTypes.VectorType());
    // the default network (cnn-small) needs a height and a width that a vector does not give
    assertThrowsIllegalArgument(() -> clf.transformSchema(vectors), "inputShape is not set",
        "features column 'features' holds vectors", "network 'cnn-small'");
    // fully connected layers take [n, 1, 1]; an image struct gives its own shape
    assertEquals(5, clf.copy(ParamMap.empty()).setNetwork("mlp").transformSchema(vectors).size());
    StructType images = new StructType().add("label", DataTypes.DoubleType)
        .add("features", ImageSchema.columnSchema());
    assertEquals(5, clf.transformSchema(images).size());
    assertArrayEquals(new int[] {1, 28, 28},
        clf.setInputShape(new int[] {1, 28, 28}).getInputShape());
    assertEquals(5, clf.transformSchema(vectors).size());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("stages")
  void paramsBelongToTheStage(String name, Int8ClassifierParams stage) {
    String uid = stage.uid();
    Param<?>[] params = stage.params();
    assertTrue(params.length > 30, "only " + params.length + " Params");
    String explained = stage.explainParams();
    for (Param<?> p : params) {
      assertEquals(uid, p.parent(), p.name() + " belongs to " + p.parent());
      assertTrue(stage.hasParam(p.name()), p.name());
      assertSame(p, stage.getParam(p.name()), p.name());
      assertTrue(explained.contains(p.name() + ": "), p.name() + " missing in explainParams");
      assertFalse(stage.explainParam(p).isBlank(), p.name());
    }
    // every Param object of the set is reachable through params(), i.e. has its accessor
    List<String> names = ParamChecks.names(stage);
    for (Field f : Int8ParamSet.class.getDeclaredFields()) {
      if (Param.class.isAssignableFrom(f.getType())) {
        assertTrue(names.contains(f.getName()), f.getName() + " is not in params()");
      }
    }
    for (String spark : List.of("labelCol", "featuresCol", "predictionCol", "rawPredictionCol",
        "probabilityCol", "thresholds")) {
      assertTrue(names.contains(spark), spark);
    }
  }

  @Test
  void uidIsTheConstructorArgument() {
    assertEquals("int8clf_abc", new Int8Classifier("int8clf_abc").uid());
    assertTrue(new Int8Classifier().uid().startsWith("int8clf_"));
    assertThrowsIllegalArgument(() -> new Int8Classifier(""), "uid");
  }

  /** One invalid value per validated Param, set through the stage's own setter. */
  static Map<String, Executable> invalidSettings(Int8Classifier c) {
    Map<String, Executable> m = new LinkedHashMap<>();
    m.put("precision=int4", () -> c.setPrecision("int4"));
    m.put("gradientBits=9", () -> c.setGradientBits(9));
    m.put("gradientBits=1", () -> c.setGradientBits(1));
    m.put("weightBits=4", () -> c.setWeightBits(4));
    m.put("batchSize=0", () -> c.setBatchSize(0));
    m.put("maxEpochs=0", () -> c.setMaxEpochs(0));
    m.put("inputShape=[1, 28]", () -> c.setInputShape(new int[] {1, 28}));
    m.put("inputShape=[0, 28, 28]", () -> c.setInputShape(new int[] {0, 28, 28}));
    m.put("network=", () -> c.setNetwork(" "));
    m.put("rounding=nearest", () -> c.setRounding("nearest"));
    m.put("gradientClipping=none", () -> c.setGradientClipping("none"));
    m.put("clipUpdateInterval=0", () -> c.setClipUpdateInterval(0));
    m.put("lrScaling=sqrt", () -> c.setLrScaling("sqrt"));
    m.put("weightScaling=per-row", () -> c.setWeightScaling("per-row"));
    m.put("bnRectification=-1", () -> c.setBnRectification(-1));
    m.put("bnVariant=l3", () -> c.setBnVariant("l3"));
    m.put("bnMomentum=0", () -> c.setBnMomentum(0));
    m.put("bnMomentum=1.5", () -> c.setBnMomentum(1.5));
    m.put("optimizer=rmsprop", () -> c.setOptimizer("rmsprop"));
    m.put("stepSize=0", () -> c.setStepSize(0));
    m.put("momentum=1", () -> c.setMomentum(1));
    m.put("weightDecay=-0.1", () -> c.setWeightDecay(-0.1));
    m.put("warmupEpochs=-1", () -> c.setWarmupEpochs(-1));
    m.put("lrSchedule=poly", () -> c.setLrSchedule("poly"));
    m.put("aggregationDepth=0", () -> c.setAggregationDepth(0));
    m.put("aggregationPrecision=int4", () -> c.setAggregationPrecision("int4"));
    m.put("numPartitions=-1", () -> c.setNumPartitions(-1));
    m.put("validationIndicatorCol=", () -> c.setValidationIndicatorCol(""));
    m.put("backend=gpu", () -> c.setBackend("gpu"));
    m.put("checkpointDir=", () -> c.setCheckpointDir(" "));
    m.put("checkpointInterval=0", () -> c.setCheckpointInterval(0));
    m.put("checkpointInterval=-2", () -> c.setCheckpointInterval(-2));
    return m;
  }

  @Test
  void settersRejectInvalidValues() {
    Int8Classifier c = new Int8Classifier();
    ParamMap before = c.extractParamMap();
    List<String> failures = new ArrayList<>();
    for (Map.Entry<String, Executable> e : invalidSettings(c).entrySet()) {
      String param = e.getKey().substring(0, e.getKey().indexOf('='));
      try {
        e.getValue().execute();
        failures.add(e.getKey() + " was accepted");
      } catch (IllegalArgumentException iae) {
        if (!iae.getMessage().contains(param)) {
          failures.add(e.getKey() + ": message does not name the Param: " + iae.getMessage());
        }
      } catch (Throwable t) {
        failures.add(e.getKey() + ": " + t);
      }
    }
    assertEquals(List.of(), failures);
    // nothing was set by the rejected calls
    assertEquals(before.toSeq().size(), c.extractParamMap().toSeq().size());
    assertFalse(c.isSet(c.precision()));
    assertEquals("int8", c.getPrecision());
  }

  @Test
  void invalidValueMessagesNameTheValue() {
    Int8Classifier c = new Int8Classifier();
    assertThrowsIllegalArgument(() -> c.setPrecision("int4"), "precision", "int4");
    assertThrowsIllegalArgument(() -> c.setGradientBits(9), "gradientBits", "9");
    assertThrowsIllegalArgument(() -> c.setBatchSize(0), "batchSize", "0");
  }

  @Test
  void modelRejectsInvalidValuesToo() {
    Int8ClassificationModel m = TinyModels.model("int8clf_m");
    assertThrowsIllegalArgument(() -> m.setBackend("gpu"), "backend", "gpu");
    assertEquals("cuda", m.setBackend("cuda").getBackend());
    assertThrowsIllegalArgument(() -> m.set(m.precision(), "int4"), "precision", "int4");
    assertEquals("native", m.setBackend("native").getBackend());
  }

  @Test
  void estimatorCopyKeepsUidAndParams() {
    Int8Classifier c = Blobs.classifier(3).setValidationIndicatorCol("isValidation")
        .setThresholds(new double[] {0.25, 0.25, 0.25, 0.25}).setPredictionCol("pred");
    Int8Classifier same = c.copy(ParamMap.empty());
    assertNotSame(c, same);
    assertEquals(c.uid(), same.uid());
    assertSameParams(c, same);

    Int8Classifier changed = c.copy(new ParamMap().put(c.stepSize().w(0.5))
        .put(c.network().w("fc(8)-relu-fc")));
    assertEquals(c.uid(), changed.uid());
    assertEquals(0.5, changed.getStepSize());
    assertEquals("fc(8)-relu-fc", changed.getNetwork());
    assertEquals(0.1, c.getStepSize(), "the original is unchanged");
    assertEquals(Blobs.NETWORK, c.getNetwork());
    // everything else as in the original
    changed.set(changed.stepSize(), 0.1).set(changed.network(), Blobs.NETWORK);
    assertSameParams(c, changed);
  }

  @Test
  void modelCopyKeepsUidParamsStateAndParent() {
    Int8ClassificationModel m = TinyModels.model("int8clf_copy");
    m.setParent(new Int8Classifier("int8clf_copy"));
    m.setProbabilityCol("p").setBackend("java");
    Int8ClassificationModel same = m.copy(ParamMap.empty());
    assertNotSame(m, same);
    assertEquals(m.uid(), same.uid());
    assertSame(m.modelState(), same.modelState());
    assertSame(m.parent(), same.parent());
    assertSameParams(m, same);

    Int8ClassificationModel changed = m.copy(new ParamMap().put(m.predictionCol().w("pred")));
    assertEquals("pred", changed.getPredictionCol());
    assertEquals("prediction", m.getPredictionCol());
    assertEquals("p", changed.getProbabilityCol());
    assertEquals("java", changed.getBackend());
    assertArrayEquals(new int[] {8, 1, 1}, changed.getInputShape());
    assertEquals(4, changed.numClasses());
    assertEquals(8, changed.numFeatures());
  }

  static StructType labeled(org.apache.spark.sql.types.DataType featureType) {
    return new StructType().add("label", DataTypes.DoubleType)
        .add("features", featureType);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("stages")
  void transformSchemaAppendsTheOutputColumns(String name, Int8ClassifierParams stage) {
    if (stage instanceof Int8Classifier c) {
      c.setInputShape(Blobs.SHAPE);
    }
    Params p = stage;
    StructType in = labeled(SQLDataTypes.VectorType());
    StructType out = transformSchema(p, in);
    assertEquals(List.of("label", "features", "rawPrediction", "probability", "prediction"),
        List.of(out.fieldNames()));
    assertEquals(SQLDataTypes.VectorType(), out.apply("rawPrediction").dataType());
    assertEquals(SQLDataTypes.VectorType(), out.apply("probability").dataType());
    assertEquals(DataTypes.DoubleType, out.apply("prediction").dataType());
    // the other accepted feature types
    for (org.apache.spark.sql.types.DataType t : List.of(
        DataTypes.createArrayType(DataTypes.FloatType),
        DataTypes.createArrayType(DataTypes.DoubleType), DataTypes.BinaryType,
        ImageSchema.columnSchema())) {
      assertEquals(5, transformSchema(p, labeled(t)).size(), t.simpleString());
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("stages")
  void transformSchemaRejectsBadSchemas(String name, Int8ClassifierParams stage) {
    if (stage instanceof Int8Classifier c) {
      c.setInputShape(Blobs.SHAPE);
    }
    assertThrowsIllegalArgument(() -> transformSchema(stage, labeled(DataTypes.StringType)),
        "features column 'features' has type string", "expected vector");
    assertThrowsIllegalArgument(
        () -> transformSchema(stage, labeled(DataTypes.createArrayType(DataTypes.IntegerType))),
        "features column 'features' has type array<int>");
    assertThrowsIllegalArgument(
        () -> transformSchema(stage, new StructType().add("label", DataTypes.DoubleType)),
        "features column 'features' does not exist");
    StructType withPrediction = labeled(SQLDataTypes.VectorType())
        .add("prediction", DataTypes.DoubleType);
    assertThrowsIllegalArgument(() -> transformSchema(stage, withPrediction),
        "output column 'prediction' already exists");
    StructType withProbability = labeled(SQLDataTypes.VectorType())
        .add("probability", SQLDataTypes.VectorType());
    assertThrowsIllegalArgument(() -> transformSchema(stage, withProbability),
        "output column 'probability' already exists");
  }

  @Test
  void estimatorTransformSchemaChecksLabelsAndValidationColumn() {
    Int8Classifier c = new Int8Classifier().setInputShape(Blobs.SHAPE);
    StructType noLabel = new StructType().add("features", SQLDataTypes.VectorType());
    assertThrowsIllegalArgument(() -> c.transformSchema(noLabel), "label column 'label'",
        "does not exist");
    StructType stringLabel = new StructType().add("label", DataTypes.StringType)
        .add("features", SQLDataTypes.VectorType());
    assertThrowsIllegalArgument(() -> c.transformSchema(stringLabel), "label column 'label'",
        "has type string");
    c.setValidationIndicatorCol("isVal");
    assertThrowsIllegalArgument(() -> c.transformSchema(labeled(SQLDataTypes.VectorType())),
        "validationIndicatorCol 'isVal' does not exist");
    StructType intFlag = labeled(SQLDataTypes.VectorType()).add("isVal", DataTypes.IntegerType);
    assertThrowsIllegalArgument(() -> c.transformSchema(intFlag), "validationIndicatorCol 'isVal'",
        "has type int", "expected boolean");
    StructType flag = labeled(SQLDataTypes.VectorType()).add("isVal", DataTypes.BooleanType);
    assertEquals(6, c.transformSchema(flag).size());
  }

  @Test
  void networkGrammarIsCheckedWithoutKnowingTheClasses() {
    Int8Classifier c = new Int8Classifier().setInputShape(Blobs.SHAPE);
    StructType in = labeled(SQLDataTypes.VectorType());
    // an explicit width on the last fc is the number of classes; fit checks it against the labels
    for (String ok : List.of("fc(16)-relu-fc(4)", "fc(16)-relu-fc( 10 )", "fc(3)", "mlp",
        "FC(16)-RELU-FC(7)")) {
      assertEquals(5, c.setNetwork(ok).transformSchema(in).size(), ok);
    }
    assertThrowsIllegalArgument(() -> c.setNetwork("fc(16)-relu-fc(0)").transformSchema(in),
        "network 'fc(16)-relu-fc(0)'", "at position 16, '0'");
    assertThrowsIllegalArgument(() -> c.setNetwork("fc-relu-fc(4)").transformSchema(in),
        "network 'fc-relu-fc(4)'", "at position 1", "must be the last layer");
  }

  @Test
  void emptyOutputColumnNamesAreNotAdded() {
    Int8ClassificationModel m = TinyModels.model("int8clf_cols");
    m.setRawPredictionCol("").setProbabilityCol("");
    StructType out = m.transformSchema(labeled(SQLDataTypes.VectorType()));
    assertEquals(List.of("label", "features", "prediction"), List.of(out.fieldNames()));
  }

  private static StructType transformSchema(Params stage, StructType schema) {
    if (stage instanceof Int8Classifier c) {
      return c.transformSchema(schema);
    }
    return ((Int8ClassificationModel) stage).transformSchema(schema);
  }
}
