package io.sparkint8.ml;

import io.sparkint8.arrow.FeatureColumn;
import io.sparkint8.arrow.LabelColumn;
import io.sparkint8.arrow.PackedShard;
import io.sparkint8.nn.spec.NetworkSpec;
import io.sparkint8.nn.spec.Shape;
import io.sparkint8.step.TrainingConfig;
import io.sparkint8.train.Checkpointing;
import io.sparkint8.train.DistributedTrainer;
import io.sparkint8.train.EpochSummary;
import java.util.Arrays;
import java.util.function.Consumer;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.ml.attribute.Attribute;
import org.apache.spark.ml.attribute.NominalAttribute;
import org.apache.spark.ml.classification.ProbabilisticClassifier;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.Identifiable;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.ml.util.MLWritable;
import org.apache.spark.ml.util.MLWriter;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.BooleanType;
import org.apache.spark.sql.types.StructType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Trains a neural network classifier with int8 GEMMs in the forward and backward pass, one Spark
 * task per partition and step, gradients tree-aggregated as int8 codes with shared scales.
 *
 * <pre>{@code
 * Int8Classifier clf = new Int8Classifier()
 *     .setInputShape(new int[] {1, 28, 28}) // optional for images and for networks without conv
 *     .setNetwork("cnn-small")
 *     .setMaxEpochs(10);
 * Int8ClassificationModel model = clf.fit(train);
 * model.transform(test).select("prediction", "probability").show();
 * }</pre>
 *
 * Features may be a vector, {@code array<float>}, {@code array<double>}, {@code binary} (uint8
 * pixels, scaled to [0, 1]) or the struct of Spark's image data source; labels are class indices
 * 0..k-1. Every Param is documented in {@code explainParams()}.
 */
public final class Int8Classifier
    extends ProbabilisticClassifier<Vector, Int8Classifier, Int8ClassificationModel>
    implements Int8ClassifierParams, MLWritable {
  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(Int8Classifier.class);
  /** Spark conf key of the test hook that fails partition 0's first attempt at one step. */
  public static final String FAIL_ONCE_AT_STEP_CONF = "spark.int8.test.failOnceAtStep";

  private final String uid;
  private final Int8ParamSet int8Params;
  private transient Consumer<EpochSummary> epochListener;

  public Int8Classifier() {
    this(Identifiable.randomUID("int8clf"));
  }

  public Int8Classifier(String uid) {
    this(PendingUid.stash(uid), 0);
  }

  private Int8Classifier(String uid, int unused) {
    super();
    this.uid = uid;
    PendingUid.clear();
    this.int8Params = new Int8ParamSet(this);
    int8Params.declareDefaults(this::setDefault);
  }

  @Override
  public String uid() {
    return uid != null ? uid : PendingUid.current();
  }

  @Override
  public Int8ParamSet int8Params() {
    return int8Params;
  }

  /**
   * Receives every epoch's summary during {@code fit} (progress output in programs and
   * notebooks). Not a Param: it is neither copied nor saved.
   */
  public Int8Classifier setEpochListener(Consumer<EpochSummary> listener) {
    this.epochListener = listener;
    return this;
  }

  // ---- setters, one per Param ----
  public Int8Classifier setInputShape(int[] value) {
    return (Int8Classifier) set(inputShape(), value);
  }

  public Int8Classifier setNetwork(String value) {
    return (Int8Classifier) set(network(), value);
  }

  public Int8Classifier setPrecision(String value) {
    return (Int8Classifier) set(precision(), value);
  }

  public Int8Classifier setWeightBits(int value) {
    return (Int8Classifier) set(weightBits(), value);
  }

  public Int8Classifier setGradientBits(int value) {
    return (Int8Classifier) set(gradientBits(), value);
  }

  public Int8Classifier setGradientGroupSize(int value) {
    return (Int8Classifier) set(gradientGroupSize(), value);
  }

  public Int8Classifier setRounding(String value) {
    return (Int8Classifier) set(rounding(), value);
  }

  public Int8Classifier setGradientClipping(String value) {
    return (Int8Classifier) set(gradientClipping(), value);
  }

  public Int8Classifier setClipUpdateInterval(int value) {
    return (Int8Classifier) set(clipUpdateInterval(), value);
  }

  public Int8Classifier setDclrs(boolean value) {
    return (Int8Classifier) set(dclrs(), value);
  }

  public Int8Classifier setLrScaling(String value) {
    return (Int8Classifier) set(lrScaling(), value);
  }

  public Int8Classifier setWeightScaling(String value) {
    return (Int8Classifier) set(weightScaling(), value);
  }

  public Int8Classifier setBnRectification(double value) {
    return (Int8Classifier) set(bnRectification(), value);
  }

  public Int8Classifier setBnVariant(String value) {
    return (Int8Classifier) set(bnVariant(), value);
  }

  public Int8Classifier setBnMomentum(double value) {
    return (Int8Classifier) set(bnMomentum(), value);
  }

  public Int8Classifier setBatchSize(int value) {
    return (Int8Classifier) set(batchSize(), value);
  }

  public Int8Classifier setMaxEpochs(int value) {
    return (Int8Classifier) set(maxEpochs(), value);
  }

  public Int8Classifier setOptimizer(String value) {
    return (Int8Classifier) set(optimizer(), value);
  }

  public Int8Classifier setStepSize(double value) {
    return (Int8Classifier) set(stepSize(), value);
  }

  public Int8Classifier setMomentum(double value) {
    return (Int8Classifier) set(momentum(), value);
  }

  public Int8Classifier setNesterov(boolean value) {
    return (Int8Classifier) set(nesterov(), value);
  }

  public Int8Classifier setWeightDecay(double value) {
    return (Int8Classifier) set(weightDecay(), value);
  }

  public Int8Classifier setWarmupEpochs(double value) {
    return (Int8Classifier) set(warmupEpochs(), value);
  }

  public Int8Classifier setLrSchedule(String value) {
    return (Int8Classifier) set(lrSchedule(), value);
  }

  public Int8Classifier setAggregationDepth(int value) {
    return (Int8Classifier) set(aggregationDepth(), value);
  }

  public Int8Classifier setThreads(int value) {
    return (Int8Classifier) set(threads(), value);
  }

  public Int8Classifier setAggregationPrecision(String value) {
    return (Int8Classifier) set(aggregationPrecision(), value);
  }

  public Int8Classifier setNumPartitions(int value) {
    return (Int8Classifier) set(numPartitions(), value);
  }

  public Int8Classifier setValidationIndicatorCol(String value) {
    return (Int8Classifier) set(validationIndicatorCol(), value);
  }

  public Int8Classifier setSeed(long value) {
    return (Int8Classifier) set(seed(), value);
  }

  public Int8Classifier setBackend(String value) {
    return (Int8Classifier) set(backend(), value);
  }

  public Int8Classifier setCheckpointDir(String value) {
    return (Int8Classifier) set(checkpointDir(), value);
  }

  public Int8Classifier setCheckpointInterval(int value) {
    return (Int8Classifier) set(checkpointInterval(), value);
  }

  // ---- Spark ML ----
  @Override
  public StructType transformSchema(StructType schema) {
    LabelColumn.of(schema, getLabelCol(), 0);
    String v = getValidationIndicatorCol();
    if (v != null) {
      if (!Arrays.asList(schema.fieldNames()).contains(v)) {
        throw new IllegalArgumentException("validationIndicatorCol '" + v + "' does not exist; "
            + "columns: " + String.join(", ", schema.fieldNames()));
      }
      if (!(schema.apply(v).dataType() instanceof BooleanType)) {
        throw new IllegalArgumentException("validationIndicatorCol '" + v + "' has type "
            + schema.apply(v).dataType().simpleString() + ", expected boolean");
      }
    }
    StructType out = StageSchemas.validateAndAppend(this, schema, getFeaturesCol(),
        getRawPredictionCol(), getProbabilityCol(), getPredictionCol());
    // every setting and their combinations (a warmup as long as training...) before data is read
    TrainingConfigs.from(this);
    return out;
  }

  @Override
  public Int8ClassificationModel train(Dataset<?> dataset) {
    transformSchema(dataset.schema());
    StructType schema = dataset.schema();
    int metaClasses = numClassesFromMetadata(schema);
    Dataset<Row> df = dataset.toDF();
    Shape input = InputShapes.resolve(this, df, getFeaturesCol());
    if (getNumPartitions() > 0) {
      df = df.repartition(getNumPartitions());
    }
    String v = getValidationIndicatorCol();
    Dataset<Row> trainDf = df;
    Dataset<Row> validDf = null;
    if (v != null) {
      Column flag = functions.col(v);
      trainDf = df.filter(flag.isNull().or(functions.not(flag)));
      validDf = df.filter(flag);
    }
    KryoSettingsCheck.warnIfMissing(trainDf.sparkSession().sparkContext().getConf());
    int partitions = trainDf.rdd().getNumPartitions();
    LOG.info("spark-int8 fit {}: {} partitions, backend {}, params {}", uid, partitions,
        getBackend(), paramSummary());
    FeatureColumn features = FeatureColumn.of(schema, getFeaturesCol(), input.size(),
        new int[] {input.height(), input.width(), input.channels()});
    LabelColumn labels = LabelColumn.of(schema, getLabelCol(), metaClasses);
    JavaRDD<PackedShard> trainShards = Shards.pack(trainDf, features, labels);
    JavaRDD<PackedShard> validShards = validDf == null ? null
        : Shards.pack(validDf, features, labels);
    TrainingCheckpoints checkpoints = null;
    try {
      long[] rows = Shards.rowsPerPartition(trainShards);
      long total = Arrays.stream(rows).sum();
      if (total == 0) {
        throw new IllegalArgumentException("the training dataset is empty (0 rows"
            + (v == null ? "" : " with " + v + " = false") + "), expected at least one row");
      }
      if (total < rows.length) {
        throw new IllegalArgumentException("the training dataset has " + total + " rows in "
            + rows.length + " partitions; expected at least as many rows as partitions "
            + "(set numPartitions lower)");
      }
      int maxLabel = Shards.maxLabel(trainShards);
      int numClasses = metaClasses > 0 ? metaClasses : maxLabel + 1;
      if (numClasses < 2) {
        throw new IllegalArgumentException("label column '" + getLabelCol() + "' holds only "
            + "class " + maxLabel + "; expected at least 2 classes (labels 0..k-1)");
      }
      if (validShards != null) {
        int validMax = Shards.maxLabel(validShards);
        if (validMax >= numClasses) {
          throw new IllegalArgumentException("label column '" + getLabelCol() + "': validation "
              + "label " + validMax + ", expected below numClasses = " + numClasses);
        }
      }
      NetworkSpec spec = networkSpec(input, numClasses);
      TrainingConfig config = TrainingConfigs.from(this).toBuilder()
          .failOnceAtStep(trainDf.sparkSession().sparkContext().getConf()
              .getLong(FAIL_ONCE_AT_STEP_CONF, -1L))
          .build();
      Consumer<EpochSummary> listener = epochListener;
      checkpoints = checkpoints(trainShards, rows, schema, trainDf);
      DistributedTrainer.Result result = DistributedTrainer.fit(trainShards, rows, validShards,
          spec, input, config, uid + "-" + Long.toHexString(System.nanoTime()), listener,
          checkpoints == null ? Checkpointing.NONE : checkpoints);
      Int8TrainingSummary summary = new Int8TrainingSummary(result.epochs(), total);
      return new Int8ClassificationModel(uid, result.state(), summary);
    } catch (Exception e) {
      // Spark reports a task's exception wrapped in a (checked) SparkException
      throw Shards.unwrap(e);
    } finally {
      if (checkpoints != null) {
        checkpoints.close();
      }
      trainShards.unpersist(false);
      if (validShards != null) {
        validShards.unpersist(false);
      }
    }
  }

  /**
   * The checkpoints of this fit, or null when checkpointDir is not set or checkpointInterval is
   * -1. Fingerprinting the data is one more pass over the cached shards, only for these fits.
   */
  private TrainingCheckpoints checkpoints(JavaRDD<PackedShard> trainShards, long[] rows,
      StructType schema, Dataset<Row> trainDf) {
    if (getCheckpointDir() == null || getCheckpointInterval() == -1) {
      return null;
    }
    DataFingerprint data = DataFingerprint.of(trainShards, rows, schema, getFeaturesCol(),
        getLabelCol());
    return TrainingCheckpoints.of(this, data,
        trainDf.sparkSession().sparkContext().hadoopConfiguration());
  }

  /**
   * The network for {@code numClasses} classes, its layers' shapes checked against the input: a
   * network that cannot apply fails with the layer's position and shape, and names the network
   * and inputShape, instead of with a bare error from building a layer.
   */
  private NetworkSpec networkSpec(Shape input, int numClasses) {
    try {
      NetworkSpec spec = TrainingConfigs.network(this, numClasses);
      spec.shapes(input.channels(), input.height(), input.width());
      return spec;
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("network '" + getNetwork() + "' does not fit inputShape "
          + Arrays.toString(new int[] {input.channels(), input.height(), input.width()})
          + (isDefined(inputShape()) ? "" : " (inferred from features column '"
              + getFeaturesCol() + "')")
          + " and " + numClasses + " classes: " + e.getMessage(), e);
    }
  }

  private String paramSummary() {
    StringBuilder b = new StringBuilder("{");
    for (org.apache.spark.ml.param.Param<?> p : params()) {
      if (isDefined(p)) {
        Object value = getOrDefault(p);
        b.append(b.length() > 1 ? ", " : "").append(p.name()).append('=')
            .append(value instanceof int[] a ? Arrays.toString(a) : String.valueOf(value));
      }
    }
    return b.append('}').toString();
  }

  /** The number of values of a nominal label column's metadata, or 0 when it has none. */
  static int numClassesFromMetadata(StructType schema, String labelCol) {
    Attribute a = Attribute.fromStructField(schema.apply(labelCol));
    if (a instanceof NominalAttribute n && n.getNumValues().isDefined()) {
      return (Integer) n.getNumValues().get();
    }
    return 0;
  }

  private int numClassesFromMetadata(StructType schema) {
    return numClassesFromMetadata(schema, getLabelCol());
  }

  @Override
  public Int8Classifier copy(ParamMap extra) {
    Int8Classifier c = (Int8Classifier) defaultCopy(extra);
    c.epochListener = epochListener;
    return c;
  }

  @Override
  public MLWriter write() {
    return new Int8Persistence.StageWriter(this, null);
  }

  public static MLReader<Int8Classifier> read() {
    return new Int8Persistence.ClassifierReader();
  }

  public static Int8Classifier load(String path) {
    return read().load(path);
  }

  /** A one-line description; {@code explainParams()} lists every Param. */
  @Override
  public String toString() {
    return "Int8Classifier: uid=" + uid + ", network=" + getNetwork() + ", precision="
        + getPrecision();
  }

}
