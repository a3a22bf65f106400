package io.sparkint8.train;

import io.sparkint8.nn.EngineConfig;
import io.sparkint8.nn.Precision;
import io.sparkint8.nn.spec.NetworkSpec;
import io.sparkint8.nn.spec.Shape;
import io.sparkint8.optim.ConstantSchedule;
import io.sparkint8.optim.CosineSchedule;
import io.sparkint8.optim.LinearScaling;
import io.sparkint8.optim.LrSchedule;
import io.sparkint8.optim.OptimizerConfig;
import io.sparkint8.optim.StepSchedule;
import io.sparkint8.optim.Warmup;
import io.sparkint8.quant.Dclrs;
import java.util.Objects;

/**
 * Everything the distributed trainer needs to know, resolved and validated on the driver from a
 * stage's Params: the network spec (with the class count filled in), the input shape, the engine,
 * optimizer and schedule settings, the global batch and the aggregation settings. Immutable.
 *
 * @param spec the parsed network
 * @param inputShape one example's shape
 * @param engine the engine configuration (precision, clipping, bits, BN, seed)
 * @param optimizer the optimizer hyper-parameters
 * @param schedule "constant", "step" or "cosine"
 * @param stepSize the base learning rate (at batch 256 when {@code linearScaling})
 * @param linearScaling whether the rate scales with batchSize / 256
 * @param warmupEpochs epochs of linear warmup from 10 % of the rate
 * @param batchSize the global batch
 * @param epochs passes over the data
 * @param aggregationDepth treeAggregate depth
 * @param int8Aggregation shared-scale int8 codes (true) or fp32 gradients
 * @param backend executor kernel backend: auto, java, native or cuda (see TaskBackend)
 * @param failOnceAtStep test hook: partition 0 fails its first attempt at this step (-1 = never)
 */
public record TrainSettings(
    NetworkSpec spec,
    Shape inputShape,
    EngineConfig engine,
    OptimizerConfig optimizer,
    String schedule,
    double stepSize,
    boolean linearScaling,
    double warmupEpochs,
    int batchSize,
    int epochs,
    int aggregationDepth,
    boolean int8Aggregation,
    String backend,
    long failOnceAtStep) {

  public TrainSettings {
    Objects.requireNonNull(spec, "spec");
    Objects.requireNonNull(inputShape, "inputShape");
    Objects.requireNonNull(engine, "engine");
    Objects.requireNonNull(optimizer, "optimizer");
    if (batchSize < 1 || epochs < 1 || aggregationDepth < 1) {
      throw new IllegalArgumentException("batchSize=" + batchSize + ", maxEpochs=" + epochs
          + ", aggregationDepth=" + aggregationDepth + ": each must be >= 1");
    }
    if (!(stepSize > 0) || Double.isInfinite(stepSize)) {
      throw new IllegalArgumentException("stepSize=" + stepSize + ", expected a finite value > 0");
    }
  }

  /** The engine configuration the Params describe. */
  public static EngineConfig engineConfig(Precision precision, int gradientBits, String clipping,
      int clipUpdateInterval, boolean dclrs, boolean weightPerChannel, double bnRectification,
      double bnMomentum, long seed) {
    EngineConfig d = EngineConfig.defaults(precision);
    return new EngineConfig(precision, gradientBits, clipping, clipUpdateInterval,
        dclrs ? Dclrs.defaults() : Dclrs.off(), weightPerChannel, bnRectification, bnMomentum,
        d.bnEps(), seed);
  }

  /** The learning rate actually used at the peak: stepSize, linearly scaled when asked. */
  public double peakLr() {
    return linearScaling ? LinearScaling.scale(stepSize, batchSize) : stepSize;
  }

  /** The learning-rate schedule over {@link #epochs} epochs. */
  public LrSchedule lrSchedule() {
    Warmup warmup = warmupEpochs > 0 ? Warmup.linear(warmupEpochs, 0.1) : Warmup.none();
    double lr = peakLr();
    switch (schedule) {
      case "constant":
        return new ConstantSchedule(lr, warmup);
      case "step":
        return new StepSchedule(lr, 0.1, Math.max(1.0, epochs / 2.0), warmup);
      case "cosine":
        return new CosineSchedule(lr, 0, epochs, warmup);
      default:
        throw new IllegalArgumentException(
            "lrSchedule=" + schedule + ", expected constant, step or cosine");
    }
  }
}
