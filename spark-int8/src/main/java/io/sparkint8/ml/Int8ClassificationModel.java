package io.sparkint8.ml;

import io.sparkint8.kernels.memory.Float32Buffer;
import io.sparkint8.kernels.memory.OffHeapAllocator;
import io.sparkint8.kernels.ref.JavaBackend;
import io.sparkint8.nn.ModelState;
import io.sparkint8.nn.Network;
import io.sparkint8.train.Predictions;
import java.nio.FloatBuffer;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.ml.classification.ProbabilisticClassificationModel;
import org.apache.spark.ml.linalg.DenseVector;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.GeneralMLWriter;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.ml.util.MLWritable;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;

/**
 * A trained int8 network. {@link #transform} is batched: each partition's rows go through the
 * network in batches (native kernels on the executors), adding the rawPrediction (logits),
 * probability (softmax) and prediction columns. Immutable; the engine state it holds is
 * {@link #modelState()}, saved with {@link #write()} as metadata JSON plus the engine's binary
 * model-state file, or exported with {@code write().format("onnx")} as an ONNX model.
 */
public final class Int8ClassificationModel
    extends ProbabilisticClassificationModel<Vector, Int8ClassificationModel>
    implements Int8ClassifierParams, MLWritable {
  private static final long serialVersionUID = 1L;
  /** Rows per forward pass in {@link #transform}. */
  static final int TRANSFORM_BATCH = 256;

  private final String uid;
  private final Int8ParamSet int8Params;
  private final ModelState state;
  private final Int8TrainingSummary summary;
  private transient byte[] stateBytes;
  private transient Network single;
  private transient OffHeapAllocator singleAlloc;
  private transient Float32Buffer singleInput;

  Int8ClassificationModel(String uid, ModelState state, Int8TrainingSummary summary) {
    this(PendingUid.stash(uid), state, summary, 0);
  }

  private Int8ClassificationModel(String uid, ModelState state, Int8TrainingSummary summary,
      int unused) {
    super();
    this.uid = uid;
    PendingUid.clear();
    this.int8Params = new Int8ParamSet(this);
    int8Params.declareDefaults(this::setDefault);
    this.state = state;
    this.summary = summary;
    int[] shape = {state.inputShape().channels(), state.inputShape().height(),
        state.inputShape().width()};
    set(inputShape(), shape);
  }

  @Override
  public String uid() {
    return uid != null ? uid : PendingUid.current();
  }

  @Override
  public Int8ParamSet int8Params() {
    return int8Params;
  }

  /** The engine's state: network spec, weights, BN running statistics, clipping state. */
  public ModelState modelState() {
    return state;
  }

  @Override
  public int numClasses() {
    return state.numClasses();
  }

  @Override
  public int numFeatures() {
    return state.inputShape().size();
  }

  /** Whether a training summary is available (it is saved and loaded with the model). */
  public boolean hasSummary() {
    return summary != null;
  }

  /** The per-epoch training summary; an exception when the model has none. */
  public Int8TrainingSummary summary() {
    if (summary == null) {
      throw new IllegalStateException("this Int8ClassificationModel has no training summary");
    }
    return summary;
  }

  Int8TrainingSummary summaryOrNull() {
    return summary;
  }

  public Int8ClassificationModel setBackend(String value) {
    return (Int8ClassificationModel) set(backend(), value);
  }

  @Override
  public StructType transformSchema(StructType schema) {
    return StageSchemas.validateAndAppend(this, schema, getFeaturesCol(), getRawPredictionCol(),
        getProbabilityCol(), getPredictionCol());
  }

  @Override
  public Dataset<Row> transform(Dataset<?> dataset) {
    StructType out = transformSchema(dataset.schema());
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(
        dataset.sparkSession().sparkContext());
    Broadcast<byte[]> bc = jsc.broadcast(stateBytes());
    BatchPredictor predictor = new BatchPredictor(uid + "/" + java.util.Arrays.hashCode(
        stateBytes()), bc, getBackend(), dataset.schema(), getFeaturesCol(), getRawPredictionCol(),
        getProbabilityCol(), getPredictionCol(),
        isDefined(thresholds()) ? getThresholds() : null, numClasses(), TRANSFORM_BATCH,
        new int[] {state.inputShape().height(), state.inputShape().width(),
            state.inputShape().channels()});
    return dataset.toDF().mapPartitions(predictor, Encoders.row(out));
  }

  @Override
  public Vector predictRaw(Vector features) {
    if (features.size() != numFeatures()) {
      throw new IllegalArgumentException("features of length " + features.size()
          + ", expected " + numFeatures() + " (inputShape " + state.inputShape() + ")");
    }
    synchronized (this) {
      if (single == null) {
        singleAlloc = new OffHeapAllocator("Int8ClassificationModel.predictRaw");
        single = state.build(new JavaBackend(), singleAlloc, 1);
        singleInput = singleAlloc.allocateFloat32(numFeatures());
      }
      FloatBuffer x = singleInput.bytes().asFloatBuffer();
      double[] v = features.toArray();
      for (int i = 0; i < v.length; i++) {
        if (!Double.isFinite(v[i])) {
          throw new IllegalArgumentException("features: " + v[i] + " at position " + i
              + ", expected finite numbers");
        }
        x.put(i, (float) v[i]);
      }
      FloatBuffer z = single.forward(singleInput, 1, false).bytes().asFloatBuffer();
      double[] raw = new double[numClasses()];
      for (int j = 0; j < raw.length; j++) {
        raw[j] = z.get(j);
      }
      return Vectors.dense(raw);
    }
  }

  // Spark declares this in two superclasses with covariant Scala tuple types that Java sees as
  // unrelated; a raw override resolves the clash and keeps Spark's own behaviour.
  @Override
  @SuppressWarnings({"rawtypes", "unchecked"})
  public scala.Tuple3 findSummaryModel() {
    return super.findSummaryModel();
  }

  @Override
  public Vector raw2probabilityInPlace(Vector raw) {
    if (!(raw instanceof DenseVector d)) {
      throw new IllegalArgumentException("raw predictions must be a dense vector");
    }
    double[] p = Predictions.softmax(d.values());
    System.arraycopy(p, 0, d.values(), 0, p.length);
    return d;
  }

  /** The state in the engine's binary format (cached). */
  byte[] stateBytes() {
    if (stateBytes == null) {
      stateBytes = state.toBytes();
    }
    return stateBytes;
  }

  @Override
  public Int8ClassificationModel copy(ParamMap extra) {
    Int8ClassificationModel m = copyValues(new Int8ClassificationModel(uid, state, summary), extra);
    return m.setParent(parent());
  }

  /**
   * A writer of this model: {@code write().save(dir)} (format {@code internal}) writes the
   * directory {@link #load} reads; {@code write().format("onnx").save(dir)} writes {@code
   * dir/model.onnx} (see {@link OnnxModelFormat}). Formats are found by Spark's GeneralMLWriter
   * through {@code META-INF/services/org.apache.spark.ml.util.MLFormatRegister}.
   */
  @Override
  public GeneralMLWriter write() {
    return new GeneralMLWriter(this);
  }

  public static MLReader<Int8ClassificationModel> read() {
    return new Int8Persistence.ModelReader();
  }

  public static Int8ClassificationModel load(String path) {
    return read().load(path);
  }

  @Override
  public String toString() {
    return "Int8ClassificationModel: uid=" + uid + ", network=" + state.specText()
        + ", numClasses=" + numClasses() + ", inputShape=" + state.inputShape();
  }
}
