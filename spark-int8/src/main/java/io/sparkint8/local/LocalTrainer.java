package io.sparkint8.local;

import io.sparkint8.kernels.memory.Float32Buffer;
import io.sparkint8.nn.BatchNorm;
import io.sparkint8.nn.Layer;
import io.sparkint8.nn.LayerStats;
import io.sparkint8.nn.Network;
import io.sparkint8.nn.StepResult;
import io.sparkint8.optim.LrSchedule;
import io.sparkint8.optim.Optimizer;
import io.sparkint8.optim.Optimizers;
import io.sparkint8.optim.Parameter;
import io.sparkint8.quant.Dclrs;
import io.sparkint8.step.TrainingConfig;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * Trains a {@link Network} in one JVM with the step code a Spark task runs: per step a batch of shuffled
 * rows, {@link Network#trainStep}, gradients divided by the batch, DCLRS factors from each int8 layer's
 * deviation, the optimizer update, and running BN statistics from the step's batch statistics. Shuffling
 * is seeded per epoch, so the same seed gives bit-identical weights.
 */
public final class LocalTrainer implements AutoCloseable {
  private final Network net;
  private final TrainingConfig config;
  private final LrSchedule schedule;
  private final Optimizer optimizer;
  private final Float32Buffer batchX;
  private final int[] batchLabels;
  private long step;

  /**
   * A trainer of {@code net} as {@code config} says; the network must have been built with the
   * config's engine and for batches of at least its batchSize. The Spark-only settings
   * (aggregation, executors' backend) are not read.
   */
  public LocalTrainer(Network net, TrainingConfig config) {
    if (config.batchSize() > net.maxBatch()) {
      throw new IllegalArgumentException("batchSize=" + config.batchSize()
          + " exceeds the network's maxBatch=" + net.maxBatch());
    }
    if (!config.engine().equals(net.context().config())) {
      throw new IllegalArgumentException("the training config's engine " + config.engine()
          + " differs from the network's " + net.context().config()
          + "; build the network with the config's engine");
    }
    this.net = net;
    this.config = config;
    this.schedule = config.schedule();
    this.optimizer = Optimizers.create(config.optimizer());
    this.batchX = net.context().allocator()
        .allocateFloat32((long) net.maxBatch() * net.inputShape().size());
    this.batchLabels = new int[net.maxBatch()];
  }

  public Optimizer optimizer() {
    return optimizer;
  }

  /** Runs all epochs; {@code onEpoch} sees each report as it completes. */
  public List<EpochReport> fit(Dataset train, Dataset test, Consumer<EpochReport> onEpoch) {
    if (!train.shape().equals(net.inputShape())) {
      throw new IllegalArgumentException("training rows have shape " + train.shape()
          + ", the network expects " + net.inputShape());
    }
    if (train.numClasses() != net.numClasses()) {
      throw new IllegalArgumentException("data has " + train.numClasses()
          + " classes, the network " + net.numClasses());
    }
    List<EpochReport> reports = new ArrayList<>();
    for (int e = 0; e < config.epochs(); e++) {
      EpochReport r = epoch(e, train, test);
      reports.add(r);
      if (onEpoch != null) {
        onEpoch.accept(r);
      }
    }
    return reports;
  }

  private EpochReport epoch(int epoch, Dataset train, Dataset test) {
    long t0 = System.nanoTime();
    int n = train.size();
    int[] order = permutation(n, new SplittableRandom(config.shuffleSeed() * 31 + epoch));
    int stepsPerEpoch = (n + config.batchSize() - 1) / config.batchSize();
    double lossSum = 0;
    long correct = 0;
    double devSum = 0;
    double factorSum = 0;
    int devCount = 0;
    for (int s = 0; s < stepsPerEpoch; s++) {
      int from = s * config.batchSize();
      int rows = Math.min(config.batchSize(), n - from);
      gather(train, order, from, rows);
      net.context().beginStep(step, 0);
      StepResult r = net.trainStep(batchX, batchLabels, 0, rows);
      lossSum += r.lossSum();
      correct += r.correct();
      double[] dev = applyStep(r, rows, schedule.lr(step, stepsPerEpoch));
      devSum += dev[0];
      factorSum += dev[1];
      devCount += (int) dev[2];
      step++;
    }
    double seconds = (System.nanoTime() - t0) * 1e-9;
    double testAcc = test == null ? Double.NaN : evaluate(test);
    return new EpochReport(epoch + 1, lossSum / n, (double) correct / n, testAcc, seconds,
        n / seconds, devCount == 0 ? Double.NaN : devSum / devCount,
        devCount == 0 ? Double.NaN : factorSum / devCount);
  }

  /** Gradient mean, DCLRS factors, optimizer update, running BN stats; returns deviation stats. */
  private double[] applyStep(StepResult r, int rows, double lr) {
    List<Parameter> params = net.parameters();
    for (Parameter p : params) {
      float[] g = p.grad();
      for (int i = 0; i < g.length; i++) {
        g[i] /= rows;
      }
      p.setLrFactor(1.0);
    }
    Dclrs dclrs = net.context().config().dclrs();
    double devSum = 0;
    double factorSum = 0;
    int measured = 0;
    for (Layer layer : net.layers()) {
      for (LayerStats st : layer.stats()) {
        if (st.clip() != null) {
          double f = dclrs.factor(st.clip());
          for (Parameter p : layer.parameters()) {
            p.setLrFactor(f);
          }
          if (!Double.isNaN(st.clip().deviation())) {
            devSum += st.clip().deviation();
            factorSum += f;
            measured++;
          }
        }
      }
    }
    optimizer.step(params, lr);
    List<BatchNorm> bns = net.batchNorms();
    for (int i = 0; i < bns.size(); i++) {
      bns.get(i).updateRunning(r.bnStats().get(i));
    }
    return new double[] {devSum, factorSum, measured};
  }

  private void gather(Dataset d, int[] order, int from, int rows) {
    int size = d.shape().size();
    FloatBuffer x = batchX.bytes().asFloatBuffer();
    for (int i = 0; i < rows; i++) {
      int row = order[from + i];
      x.put(i * size, d.images(), row * size, size);
      batchLabels[i] = d.labels()[row];
    }
  }

  /** Accuracy of the current weights (BN in inference mode). */
  public double evaluate(Dataset d) {
    int size = d.shape().size();
    int classes = net.numClasses();
    long correct = 0;
    for (int from = 0; from < d.size(); from += net.maxBatch()) {
      int rows = Math.min(net.maxBatch(), d.size() - from);
      batchX.bytes().asFloatBuffer().put(0, d.images(), from * size, rows * size);
      FloatBuffer z = net.forward(batchX, rows, false).bytes().asFloatBuffer();
      for (int i = 0; i < rows; i++) {
        int arg = 0;
        for (int j = 1; j < classes; j++) {
          if (z.get(i * classes + j) > z.get(i * classes + arg)) {
            arg = j;
          }
        }
        if (arg == d.labels()[from + i]) {
          correct++;
        }
      }
    }
    return (double) correct / d.size();
  }

  /** A Fisher-Yates shuffle of 0..n-1 driven by {@code rnd} (also the Spark tasks' row order). */
  public static int[] permutation(int n, SplittableRandom rnd) {
    int[] p = new int[n];
    for (int i = 0; i < n; i++) {
      p[i] = i;
    }
    for (int i = n - 1; i > 0; i--) {
      int j = rnd.nextInt(i + 1);
      int t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }

  /** Frees the trainer's batch buffer (the network is the caller's). */
  @Override
  public void close() {
    batchX.close();
  }
}
