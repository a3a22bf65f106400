package io.sparkint8.local;

import io.sparkint8.kernels.memory.Float32Buffer;
import io.sparkint8.nn.Network;
import io.sparkint8.nn.StepResult;
import io.sparkint8.optim.LrSchedule;
import io.sparkint8.optim.Optimizer;
import io.sparkint8.step.BatchSlicer;
import io.sparkint8.step.LayerFactors;
import io.sparkint8.step.StepUpdate;
import io.sparkint8.step.TrainingConfig;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Trains a {@link Network} in one JVM: the Spark trainer's step without Spark, on one partition.
 * Per step it gathers a slice of shuffled rows ({@link BatchSlicer}), runs {@link
 * Network#trainStep}, takes the mean gradients, measures the per-layer DCLRS factors and ends with
 * the {@link StepUpdate} the Spark driver runs too. The rows are shuffled once per epoch with a
 * generator keyed by (shuffleSeed, epoch) and sliced by the batch size, so the same config gives
 * bit-identical weights.
 */
public final class LocalTrainer implements AutoCloseable {
  private final Network net;
  private final TrainingConfig config;
  private final LrSchedule schedule;
  private final StepUpdate update;
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
    this.update = new StepUpdate(net, config.optimizer());
    this.batchX = net.context().allocator()
        .allocateFloat32((long) net.maxBatch() * net.inputShape().size());
    this.batchLabels = new int[net.maxBatch()];
  }

  public Optimizer optimizer() {
    return update.optimizer();
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
    BatchSlicer slicer = new BatchSlicer(train.images(), train.labels(), n, train.shape().size(),
        config.batchSize(), config.shuffleSeed() * 31 + epoch);
    int stepsPerEpoch = slicer.slices();
    double lossSum = 0;
    long correct = 0;
    double devSum = 0;
    double factorSum = 0;
    int devCount = 0;
    for (int s = 0; s < stepsPerEpoch; s++) {
      int rows = slicer.gather(s, batchX, batchLabels);
      net.context().beginStep(step, 0);
      StepResult r = net.trainStep(batchX, batchLabels, 0, rows);
      lossSum += r.lossSum();
      correct += r.correct();
      LayerFactors factors = LayerFactors.measure(net);
      update.apply(StepUpdate.meanGradients(r), r.bnStats(), factors,
          schedule.lr(step, stepsPerEpoch));
      double[] dev = factors.deviation();
      double[] factor = factors.lrFactor();
      for (int i = 0; i < dev.length; i++) {
        if (!Double.isNaN(dev[i])) {
          devSum += dev[i];
          factorSum += factor[i];
          devCount++;
        }
      }
      step++;
    }
    double seconds = (System.nanoTime() - t0) * 1e-9;
    double testAcc = test == null ? Double.NaN : evaluate(test);
    return new EpochReport(epoch + 1, lossSum / n, (double) correct / n, testAcc, seconds,
        n / seconds, devCount == 0 ? Double.NaN : devSum / devCount,
        devCount == 0 ? Double.NaN : factorSum / devCount);
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

  /** Frees the trainer's batch buffer (the network is the caller's). */
  @Override
  public void close() {
    batchX.close();
  }
}
