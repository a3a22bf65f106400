package io.sparkint8.train;

import io.sparkint8.arrow.PackedShard;
import io.sparkint8.kernels.memory.OffHeapAllocator;
import io.sparkint8.kernels.ref.JavaBackend;
import io.sparkint8.nn.Layer;
import io.sparkint8.nn.LayerContext;
import io.sparkint8.nn.ModelState;
import io.sparkint8.nn.Network;
import io.sparkint8.nn.spec.NetworkSpec;
import io.sparkint8.nn.spec.Shape;
import io.sparkint8.optim.LrSchedule;
import io.sparkint8.step.BatchSlicer;
import io.sparkint8.step.GradientAggregation;
import io.sparkint8.step.LayerFactors;
import io.sparkint8.step.StepUpdate;
import io.sparkint8.step.TrainingConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The driver's step loop (DESIGN.md §3). It keeps the fp32 master weights, the optimizer state,
 * the running BN statistics and the authoritative clipping state in a driver-side network; per
 * step it broadcasts that state and the shared gradient scales, runs one {@link StepTask} per
 * partition, tree-aggregates their {@link GradientAccumulator}s, decodes the mean gradient,
 * adopts the clipping decisions and DCLRS factors of all partitions' merged DSGC statistics
 * ({@link WorkerReport}), ends the step with the
 * {@link StepUpdate} the local trainer runs too, and derives the next step's scales from this
 * step's max|g|. The first step, which has no scales yet, aggregates in fp32.
 */
public final class DistributedTrainer {
  private static final Logger LOG = LoggerFactory.getLogger(DistributedTrainer.class);

  private DistributedTrainer() {}

  /** The trained state and the per-epoch summaries. */
  public record Result(ModelState state, List<EpochSummary> epochs) {}

  /**
   * Trains on {@code train} (one cached shard per partition, holding rowsPerPartition[p] rows)
   * and, when {@code validation} is not null, measures its accuracy after every epoch.
   * {@code runId} names the fit in Spark UI job descriptions and keys the executors' networks.
   */
  public static Result fit(JavaRDD<PackedShard> train, long[] rowsPerPartition,
      JavaRDD<PackedShard> validation, NetworkSpec spec, Shape inputShape, TrainingConfig config,
      String runId, Consumer<EpochSummary> listener) {
    return fit(train, rowsPerPartition, validation, spec, inputShape, config, runId, listener,
        Checkpointing.NONE);
  }

  /**
   * As {@link #fit(JavaRDD, long[], JavaRDD, NetworkSpec, Shape, TrainingConfig, String,
   * Consumer)}, continuing from {@code checkpoints}' state when it has one and saving the state of
   * the epochs it says are due. A resumed fit takes the same steps with the same bits as one that
   * was never interrupted: the state holds everything a step depends on ({@link TrainerState}).
   */
  public static Result fit(JavaRDD<PackedShard> train, long[] rowsPerPartition,
      JavaRDD<PackedShard> validation, NetworkSpec spec, Shape inputShape, TrainingConfig config,
      String runId, Consumer<EpochSummary> listener, Checkpointing checkpoints) {
    long total = 0;
    int nonEmpty = 0;
    for (long r : rowsPerPartition) {
      total += r;
      nonEmpty += r > 0 ? 1 : 0;
    }
    if (total == 0) {
      throw new IllegalArgumentException("the training dataset is empty: 0 rows, expected >= 1");
    }
    if (config.batchSize() < nonEmpty) {
      throw new IllegalArgumentException("batchSize=" + config.batchSize() + " is smaller than the "
          + nonEmpty + " partitions holding data; expected batchSize >= the number of partitions "
          + "(set numPartitions lower or batchSize higher)");
    }
    int stepsPerEpoch = (int) Math.min(Integer.MAX_VALUE, (total + config.batchSize() - 1)
        / config.batchSize());
    int largestSlice = 1;
    for (long r : rowsPerPartition) {
      largestSlice = Math.max(largestSlice, BatchSlicer.sliceRows(r, stepsPerEpoch));
    }
    int maxBatch = largestSlice;
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(train.context());
    String poolKey = runId + "/" + maxBatch + "/threads=" + config.threads();
    LrSchedule schedule = config.schedule();
    boolean int8Aggregation = config.aggregation() == GradientAggregation.INT8;
    String backend = config.backend().label();
    List<EpochSummary> summaries = new ArrayList<>();
    try (OffHeapAllocator alloc = new OffHeapAllocator("spark-int8 driver " + runId);
        BroadcastReaper reaper = new BroadcastReaper(runId);
        Network master = Network.build(spec, inputShape, 1,
            new LayerContext(new JavaBackend(), alloc, config.engine()))) {
      StepUpdate update = new StepUpdate(master, config.optimizer());
      LOG.info("spark-int8 fit {}: {} rows in {} partitions, global batch {}, {} steps per epoch,"
          + " {} epochs, up to {} rows per task, {} aggregation, peak lr {}", runId, total,
          rowsPerPartition.length, config.batchSize(), stepsPerEpoch, config.epochs(), maxBatch,
          config.aggregation(), config.peakLr());
      float[] scales = null;
      long step = 0;
      double elapsed = 0;
      int firstEpoch = 0;
      TrainerState resumed = checkpoints.resume();
      if (resumed != null) {
        if (resumed.step() != (long) resumed.epochsDone() * stepsPerEpoch
            || resumed.epochsDone() > config.epochs()) {
          throw new IllegalArgumentException("the checkpoint holds " + resumed.epochsDone()
              + " epochs in " + resumed.step() + " steps; this fit runs " + stepsPerEpoch
              + " steps per epoch and " + config.epochs() + " epochs");
        }
        resumed.model().apply(master);
        update.optimizer().restore(resumed.optimizer());
        scales = int8Aggregation ? resumed.scales() : null;
        step = resumed.step();
        elapsed = resumed.elapsedSeconds();
        firstEpoch = resumed.epochsDone();
        summaries.addAll(resumed.epochs());
        LOG.info("spark-int8 fit {}: resuming from epoch {} of {} (the checkpoint holds {} "
            + "epochs, {} steps)", runId, firstEpoch + 1, config.epochs(), firstEpoch, step);
      }
      for (int epoch = firstEpoch; epoch < config.epochs(); epoch++) {
        long t0 = System.nanoTime();
        EpochAccumulator ep = new EpochAccumulator(master);
        for (int st = 0; st < stepsPerEpoch; st++) {
          Broadcast<byte[]> bc = jsc.broadcast(stateBytes(master));
          String description = "spark-int8 " + runId + ": epoch " + (epoch + 1) + "/"
              + config.epochs() + ", step " + (st + 1) + "/" + stepsPerEpoch;
          jsc.setJobDescription(description);
          long stepNow = step;
          int epochNow = epoch;
          int stNow = st;
          int[] attempts = {0};
          GradientSaturation.Outcome outcome = GradientSaturation.aggregate(
              int8Aggregation && scales != null ? SharedScales.of(scales) : null, shared -> {
                if (attempts[0]++ > 0) {
                  // the Spark UI (and bench-spark) tell the redo's job from the step's
                  jsc.setJobDescription(description + ", redo with the step's own scales");
                }
                StepTask task = new StepTask(poolKey, bc, backend, maxBatch, stepNow, epochNow,
                    stNow, stepsPerEpoch, config.shuffleSeed(), config.engine().seed(),
                    shared == null ? null : shared.toArray(), config.failOnceAtStep(),
                    config.threads());
                return train.mapPartitionsWithIndex(task, true)
                    .treeAggregate(GradientAccumulator.empty(), (a, b) -> a.merge(b),
                        (a, b) -> a.merge(b), config.aggregationDepth());
              });
          reaper.destroyLater(bc);
          GradientAccumulator acc = outcome.applied();
          if (outcome.redone()) {
            LOG.info("spark-int8 {}: step {} saturated {} gradient codes (tensors {} beyond {}% "
                + "of their codes); recomputed with this step's max|g| as the scales", runId,
                step, outcome.saturatedCodes(), java.util.Arrays.toString(
                    outcome.saturatedTensors()), GradientSaturation.MAX_FRACTION * 100);
          }
          if (acc.isEmpty()) {
            throw new IllegalStateException("step " + step + " received no rows from any "
                + "partition");
          }
          apply(master, update, acc, schedule.lr(step, stepsPerEpoch));
          ep.add(acc, outcome);
          if (int8Aggregation) {
            scales = GradientSaturation.nextScales(acc).toArray();
          }
          step++;
        }
        double seconds = (System.nanoTime() - t0) * 1e-9;
        elapsed += seconds;
        double valAcc = validation == null ? Double.NaN
            : evaluate(jsc, validation, master, poolKey, backend, maxBatch, runId, epoch);
        EpochSummary summary = ep.summary(epoch + 1, stepsPerEpoch, valAcc, seconds, elapsed);
        summaries.add(summary);
        if (checkpoints.due(epoch + 1, config.epochs())) {
          checkpoints.save(new TrainerState(epoch + 1, step, elapsed, ModelState.capture(master),
              update.optimizer().state(), scales, summaries));
        }
        LOG.info("spark-int8 {}: {}", runId, summary.progressLine(config.epochs()));
        if (listener != null) {
          listener.accept(summary);
        }
      }
      jsc.setJobDescription(null);
      return new Result(ModelState.capture(master), summaries);
    }
  }

  /**
   * The step's update of the master network: it adopts the clipping decisions of the report the
   * aggregate carries, then runs the {@link StepUpdate} on the decoded mean gradients.
   */
  private static void apply(Network master, StepUpdate update, GradientAccumulator acc,
      double lr) {
    WorkerReport report = acc.report();
    if (report != null) {
      master.importClippingStates(report.clippingStates());
    }
    update.apply(acc.decode(acc.rows()), acc.bnStats(),
        report == null ? LayerFactors.none() : report.factors(), lr);
  }

  private static double evaluate(JavaSparkContext jsc, JavaRDD<PackedShard> validation,
      Network master, String poolKey, String backend, int maxBatch, String runId, int epoch) {
    Broadcast<byte[]> bc = jsc.broadcast(stateBytes(master));
    jsc.setJobDescription("spark-int8 " + runId + ": validation after epoch " + (epoch + 1));
    long[] r = validation.mapPartitions(new EvalTask(poolKey, bc, backend, maxBatch))
        .reduce((a, b) -> new long[] {a[0] + b[0], a[1] + b[1]});
    bc.destroy();
    return r[1] == 0 ? Double.NaN : (double) r[0] / r[1];
  }

  /** A state in ModelState's binary format. */
  static byte[] stateBytes(Network net) {
    return ModelState.capture(net).toBytes();
  }

  /** Sums an epoch's step results. */
  private static final class EpochAccumulator {
    private final List<String> layers = new ArrayList<>();
    private double lossSum;
    private long correct;
    private long rows;
    private long bytes;
    private int steps;
    private double[] devSum;
    private int[] devCount;
    private double[] factorSum;
    private int reports;
    private long saturatedCodes;
    private int redoSteps;

    EpochAccumulator(Network master) {
      this.master = master;
    }

    private final Network master;

    void add(GradientAccumulator acc, GradientSaturation.Outcome outcome) {
      saturatedCodes += outcome.saturatedCodes();
      redoSteps += outcome.redone() ? 1 : 0;
      lossSum += acc.lossSum();
      correct += acc.correct();
      rows += acc.rows();
      bytes += acc.leafPayloadBytes();
      steps++;
      WorkerReport r = acc.report();
      if (r == null) {
        return;
      }
      int[] idx = r.factors().layerIndex();
      double[] deviation = r.factors().deviation();
      double[] lrFactor = r.factors().lrFactor();
      if (devSum == null) {
        devSum = new double[idx.length];
        devCount = new int[idx.length];
        factorSum = new double[idx.length];
        List<Layer> all = master.layers();
        for (int i : idx) {
          layers.add(i + ":" + all.get(i).describe());
        }
      }
      if (idx.length != devSum.length) {
        return;
      }
      for (int i = 0; i < idx.length; i++) {
        if (!Double.isNaN(deviation[i])) {
          devSum[i] += deviation[i];
          devCount[i]++;
        }
        factorSum[i] += lrFactor[i];
      }
      reports++;
    }

    EpochSummary summary(int epoch, int stepsPerEpoch, double valAcc, double seconds,
        double cumulative) {
      int n = devSum == null ? 0 : devSum.length;
      double[] dev = new double[n];
      double[] factor = new double[n];
      for (int i = 0; i < n; i++) {
        dev[i] = devCount[i] == 0 ? Double.NaN : devSum[i] / devCount[i];
        factor[i] = reports == 0 ? Double.NaN : factorSum[i] / reports;
      }
      return new EpochSummary(epoch, stepsPerEpoch, lossSum / rows, (double) correct / rows,
          valAcc, seconds, cumulative, rows / seconds, (double) bytes / Math.max(1, steps),
          layers, dev, factor, saturatedCodes, redoSteps);
    }
  }
}
