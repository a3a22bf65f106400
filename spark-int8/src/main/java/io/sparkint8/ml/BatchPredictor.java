package io.sparkint8.ml;

import io.sparkint8.arrow.FeatureColumn;
import io.sparkint8.nn.Network;
import io.sparkint8.train.Predictions;
import io.sparkint8.train.WorkerPool;
import java.io.Serializable;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.StructType;

/**
 * The executor side of {@link Int8ClassificationModel#transform}: reads rows in batches, runs the
 * network once per batch in inference mode, and appends the prediction columns to every row. Rows
 * stream through; only one batch is held at a time.
 */
final class BatchPredictor implements MapPartitionsFunction<Row, Row>, Serializable {
  private static final long serialVersionUID = 1L;

  private final String poolKey;
  private final Broadcast<byte[]> state;
  private final String backend;
  private final StructType inputSchema;
  private final String featuresCol;
  private final boolean raw;
  private final boolean probability;
  private final boolean prediction;
  private final double[] thresholds;
  private final int numClasses;
  private final int batch;
  private final int[] imageHwc;

  BatchPredictor(String poolKey, Broadcast<byte[]> state, String backend, StructType inputSchema,
      String featuresCol, String rawCol, String probabilityCol, String predictionCol,
      double[] thresholds, int numClasses, int batch, int[] imageHwc) {
    this.poolKey = poolKey;
    this.state = state;
    this.backend = backend;
    this.inputSchema = inputSchema;
    this.featuresCol = featuresCol;
    this.raw = !rawCol.isEmpty();
    this.probability = !probabilityCol.isEmpty();
    this.prediction = !predictionCol.isEmpty();
    this.thresholds = thresholds;
    this.numClasses = numClasses;
    this.batch = batch;
    this.imageHwc = imageHwc;
  }

  @Override
  public Iterator<Row> call(Iterator<Row> rows) {
    int length = imageHwc[0] * imageHwc[1] * imageHwc[2];
    FeatureColumn features = FeatureColumn.of(inputSchema, featuresCol, length, imageHwc);
    int field = inputSchema.fieldIndex(featuresCol);
    return new Iterator<Row>() {
      private final List<Row> pending = new ArrayList<>();
      private final float[] x = new float[batch * length];
      private int next;
      private long rowNumber;

      @Override
      public boolean hasNext() {
        if (next < pending.size()) {
          return true;
        }
        pending.clear();
        next = 0;
        if (!rows.hasNext()) {
          return false;
        }
        fill();
        return true;
      }

      @Override
      public Row next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        return pending.get(next++);
      }

      private void fill() {
        WorkerPool.Pooled pooled = WorkerPool.borrow(poolKey, state.value(), backend, batch);
        try {
          Network net = pooled.network();
          List<Row> in = new ArrayList<>(batch);
          while (rows.hasNext() && in.size() < batch) {
            Row r = rows.next();
            features.read(r, field, x, in.size() * length, rowNumber++);
            in.add(r);
          }
          int n = in.size();
          pooled.input().bytes().asFloatBuffer().put(0, x, 0, n * length);
          FloatBuffer z = net.forward(pooled.input(), n, false).bytes().asFloatBuffer();
          for (int i = 0; i < n; i++) {
            pending.add(withPredictions(in.get(i), z, i));
          }
        } finally {
          WorkerPool.giveBack(pooled);
        }
      }
    };
  }

  private Row withPredictions(Row r, FloatBuffer z, int i) {
    double[] logits = new double[numClasses];
    for (int j = 0; j < numClasses; j++) {
      logits[j] = z.get(i * numClasses + j);
    }
    double[] p = Predictions.softmax(logits);
    int extra = (raw ? 1 : 0) + (probability ? 1 : 0) + (prediction ? 1 : 0);
    Object[] values = new Object[r.length() + extra];
    for (int k = 0; k < r.length(); k++) {
      values[k] = r.get(k);
    }
    int k = r.length();
    if (raw) {
      values[k++] = Vectors.dense(logits);
    }
    if (probability) {
      values[k++] = Vectors.dense(p);
    }
    if (prediction) {
      values[k] = (double) predict(logits, p);
    }
    return RowFactory.create(values);
  }

  private int predict(double[] logits, double[] p) {
    int arg = 0;
    if (thresholds == null) {
      for (int j = 1; j < logits.length; j++) {
        if (logits[j] > logits[arg]) {
          arg = j;
        }
      }
      return arg;
    }
    // as Spark: the largest p / t, a zero threshold wins outright
    double best = Double.NEGATIVE_INFINITY;
    for (int j = 0; j < p.length; j++) {
      double v = thresholds[j] == 0 ? Double.POSITIVE_INFINITY : p[j] / thresholds[j];
      if (v > best) {
        best = v;
        arg = j;
      }
    }
    return arg;
  }
}
