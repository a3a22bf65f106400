package io.sparkint8.step;

import io.sparkint8.nn.EngineConfig;
import io.sparkint8.optim.LrScaling;
import io.sparkint8.optim.LrSchedule;
import io.sparkint8.optim.LrScheduleKind;
import io.sparkint8.optim.OptimizerConfig;
import io.sparkint8.optim.Warmup;
import io.sparkint8.quant.ClippingKind;
import java.util.Objects;

/**
 * How a model trains, for both trainers: the local trainer takes the config the Spark stage builds
 * from its Params. Immutable and validated (the learning-rate schedule included); made with {@link
 * #builder}.
 *
 * @param engine how the network computes: precision, error clipping and bits, DCLRS, weight
 *     scaling, BatchNorm, and the seed of weight initialization and stochastic rounding
 * @param optimizer the optimizer and its hyper-parameters
 * @param lrSchedule the learning-rate schedule after the warmup, over {@code epochs}
 * @param stepSize the base learning rate, finite and > 0
 * @param lrScaling whether the rate grows with {@code batchSize} ({@link LrScaling#peak})
 * @param warmupEpochs epochs of linear warmup from 10 % of the peak rate, >= 0 (0 = none)
 * @param batchSize rows per optimizer step, over all partitions (the global batch), >= 1
 * @param epochs passes over the data, >= 1
 * @param shuffleSeed the seed of the rows' order in each epoch
 * @param aggregation how gradients reach the driver (Spark trainer only)
 * @param aggregationDepth depth of the gradient treeAggregate, >= 1 (Spark trainer only)
 * @param backend the executors' kernel backend (Spark trainer only; the local trainer runs on the
 *     backend of its network)
 * @param threads kernel threads of each Spark task (its GEMMs split output rows over them; the bits
 *     do not depend on the count), >= 1
 * @param failOnceAtStep test hook of the Spark trainer: partition 0 fails its first attempt at
 *     this step, -1 = never
 */
public record TrainingConfig(
    EngineConfig engine,
    OptimizerConfig optimizer,
    LrScheduleKind lrSchedule,
    double stepSize,
    LrScaling lrScaling,
    double warmupEpochs,
    int batchSize,
    int epochs,
    long shuffleSeed,
    GradientAggregation aggregation,
    int aggregationDepth,
    KernelBackend backend,
    int threads,
    long failOnceAtStep) {

  /** The rate the warmup starts from, as a fraction of the peak rate. */
  public static final double WARMUP_START = 0.1;

  public TrainingConfig {
    Objects.requireNonNull(engine, "engine");
    Objects.requireNonNull(optimizer, "optimizer");
    Objects.requireNonNull(lrSchedule, "lrSchedule");
    Objects.requireNonNull(lrScaling, "lrScaling");
    Objects.requireNonNull(aggregation, "aggregation");
    Objects.requireNonNull(backend, "backend");
    if (batchSize < 1 || epochs < 1 || aggregationDepth < 1 || threads < 1) {
      throw new IllegalArgumentException("batchSize=" + batchSize + ", epochs=" + epochs
          + ", aggregationDepth=" + aggregationDepth + ", threads=" + threads
          + ": each must be >= 1");
    }
    if (!(stepSize > 0) || Double.isInfinite(stepSize)) {
      throw new IllegalArgumentException("stepSize=" + stepSize + ", expected a finite value > 0");
    }
    if (!(warmupEpochs >= 0) || Double.isInfinite(warmupEpochs)) {
      throw new IllegalArgumentException(
          "warmupEpochs=" + warmupEpochs + ", expected a finite value >= 0");
    }
    if (failOnceAtStep < -1) {
      throw new IllegalArgumentException(
          "failOnceAtStep=" + failOnceAtStep + ", expected a step >= 0 or -1 (never)");
    }
    // DCLRS scales a layer's rate by DSGC's cosine deviation; max and mcs measure none, and a
    // factor silently stuck at 1 would hide that the setting does nothing
    if (engine.dclrs().enabled() && engine.precision().int8Backward()
        && engine.clipping() != ClippingKind.DSGC) {
      throw new IllegalArgumentException("dclrs=true with gradientClipping=" + engine.clipping()
          + " (precision " + engine.precision() + "): DCLRS scales each layer's learning rate by "
          + "the gradient deviation that only dsgc measures; set dclrs=false or "
          + "gradientClipping=dsgc");
    }
    // the schedule validates what only the combination decides, e.g. a warmup as long as training
    schedule(lrSchedule, lrScaling.peak(stepSize, batchSize), epochs, warmupEpochs);
  }

  /** The peak learning rate: stepSize, scaled with the global batch when {@code lrScaling} says. */
  public double peakLr() {
    return lrScaling.peak(stepSize, batchSize);
  }

  /** The learning rate over training, in epochs: the warmup, then {@code lrSchedule}. */
  public LrSchedule schedule() {
    return schedule(lrSchedule, peakLr(), epochs, warmupEpochs);
  }

  private static LrSchedule schedule(LrScheduleKind kind, double peak, int epochs,
      double warmupEpochs) {
    Warmup warmup = warmupEpochs > 0 ? Warmup.linear(warmupEpochs, WARMUP_START) : Warmup.none();
    return kind.create(peak, epochs, warmup);
  }

  /**
   * A builder of a config with this engine and optimizer. Unless set: a constant schedule without
   * warmup or scaling, one epoch, the engine's seed as the shuffle seed, int8 aggregation of depth
   * 2 on the auto backend, no injected failure; stepSize and batchSize must be set.
   */
  public static Builder builder(EngineConfig engine, OptimizerConfig optimizer) {
    return new Builder(engine, optimizer);
  }

  /** A builder holding this config's values. */
  public Builder toBuilder() {
    Builder b = new Builder(engine, optimizer);
    b.lrSchedule = lrSchedule;
    b.stepSize = stepSize;
    b.lrScaling = lrScaling;
    b.warmupEpochs = warmupEpochs;
    b.batchSize = batchSize;
    b.epochs = epochs;
    b.shuffleSeed = shuffleSeed;
    b.aggregation = aggregation;
    b.aggregationDepth = aggregationDepth;
    b.backend = backend;
    b.threads = threads;
    b.failOnceAtStep = failOnceAtStep;
    return b;
  }

  /** Collects the settings of a {@link TrainingConfig}; {@link #build} validates them. */
  public static final class Builder {
    private EngineConfig engine;
    private OptimizerConfig optimizer;
    private LrScheduleKind lrSchedule = LrScheduleKind.CONSTANT;
    private double stepSize = Double.NaN;
    private LrScaling lrScaling = LrScaling.NONE;
    private double warmupEpochs;
    private int batchSize;
    private int epochs = 1;
    private Long shuffleSeed;
    private GradientAggregation aggregation = GradientAggregation.INT8;
    private int aggregationDepth = 2;
    private KernelBackend backend = KernelBackend.AUTO;
    private int threads = 1;
    private long failOnceAtStep = -1;

    private Builder(EngineConfig engine, OptimizerConfig optimizer) {
      this.engine = engine;
      this.optimizer = optimizer;
    }

    public Builder engine(EngineConfig value) {
      engine = value;
      return this;
    }

    public Builder optimizer(OptimizerConfig value) {
      optimizer = value;
      return this;
    }

    /** The schedule after warmup, peaking at {@code baseRate} (scaled by lrScaling). */
    public Builder lrSchedule(LrScheduleKind kind, double baseRate) {
      lrSchedule = kind;
      stepSize = baseRate;
      return this;
    }

    public Builder lrScaling(LrScaling value) {
      lrScaling = value;
      return this;
    }

    public Builder warmupEpochs(double value) {
      warmupEpochs = value;
      return this;
    }

    public Builder batchSize(int value) {
      batchSize = value;
      return this;
    }

    public Builder epochs(int value) {
      epochs = value;
      return this;
    }

    public Builder shuffleSeed(long value) {
      shuffleSeed = value;
      return this;
    }

    public Builder aggregation(GradientAggregation value, int depth) {
      aggregation = value;
      aggregationDepth = depth;
      return this;
    }

    public Builder backend(KernelBackend value) {
      backend = value;
      return this;
    }

    public Builder threads(int value) {
      threads = value;
      return this;
    }

    public Builder failOnceAtStep(long value) {
      failOnceAtStep = value;
      return this;
    }

    public TrainingConfig build() {
      Objects.requireNonNull(engine, "engine");
      return new TrainingConfig(engine, optimizer, lrSchedule, stepSize, lrScaling, warmupEpochs,
          batchSize, epochs, shuffleSeed == null ? engine.seed() : shuffleSeed, aggregation,
          aggregationDepth, backend, threads, failOnceAtStep);
    }
  }
}
