package io.sparkint8.ml;

import io.sparkint8.nn.EngineConfig;
import io.sparkint8.nn.Precision;
import io.sparkint8.nn.WeightScaling;
import io.sparkint8.nn.spec.LayerSpec;
import io.sparkint8.nn.spec.NetworkSpec;
import io.sparkint8.optim.LrScaling;
import io.sparkint8.optim.LrScheduleKind;
import io.sparkint8.optim.OptimizerConfig;
import io.sparkint8.optim.OptimizerKind;
import io.sparkint8.quant.ClippingKind;
import io.sparkint8.quant.Dclrs;
import io.sparkint8.quant.ErrorRounding;
import io.sparkint8.step.GradientAggregation;
import io.sparkint8.step.KernelBackend;
import io.sparkint8.step.TrainingConfig;

/**
 * What a stage's Params mean to the engine: the {@link TrainingConfig} both trainers run and the
 * {@link NetworkSpec} they train. The one place where Param strings become typed settings.
 */
final class TrainingConfigs {
  private TrainingConfigs() {}

  /** The training config the Params describe (the seed keys initialization and shuffling). */
  static TrainingConfig from(Int8ClassifierParams p) {
    // one rounding mode exists, so it selects nothing; parsing still rejects a bad value
    ErrorRounding.parse(p.getRounding());
    EngineConfig engine = EngineConfig.defaults(Precision.parse(p.getPrecision()))
        .withGradientBits(p.getGradientBits())
        .withGradientGroupSize(p.getGradientGroupSize())
        .withClipping(ClippingKind.parse(p.getGradientClipping()))
        .withClipUpdateInterval(p.getClipUpdateInterval())
        .withDclrs(p.getDclrs() ? Dclrs.defaults() : Dclrs.off())
        .withWeightScaling(WeightScaling.parse(p.getWeightScaling()))
        .withBnRectification(p.getBnRectification())
        .withBnMomentum(p.getBnMomentum())
        .withSeed(p.getSeed());
    OptimizerKind kind = OptimizerKind.parse(p.getOptimizer());
    OptimizerConfig optimizer = OptimizerConfig.defaults(kind).withWeightDecay(p.getWeightDecay());
    if (kind.usesMomentum()) {
      optimizer = optimizer.withMomentum(p.getMomentum())
          .withNesterov(p.getNesterov() && p.getMomentum() > 0);
    }
    return TrainingConfig.builder(engine, optimizer)
        .lrSchedule(LrScheduleKind.parse(p.getLrSchedule()), p.getStepSize())
        .lrScaling(LrScaling.parse(p.getLrScaling()))
        .warmupEpochs(p.getWarmupEpochs())
        .batchSize(p.getBatchSize())
        .epochs(p.getMaxEpochs())
        .shuffleSeed(p.getSeed())
        .aggregation(GradientAggregation.parse(p.getAggregationPrecision()),
            p.getAggregationDepth())
        .backend(KernelBackend.parse(p.getBackend()))
        .threads(p.getThreads())
        .build();
  }

  /**
   * The network the Params name, for {@code numClasses} classes, with the BatchNorm variant
   * applied: {@code l1} turns every bn into bn-l1, {@code l2} (the default) keeps the network as
   * written.
   */
  static NetworkSpec network(Int8ClassifierParams p, int numClasses) {
    NetworkSpec spec = NetworkSpec.parse(p.getNetwork(), numClasses);
    LayerSpec.Bn.Variant variant = LayerSpec.Bn.Variant.parse(p.getBnVariant());
    return variant == LayerSpec.Bn.Variant.L1 ? spec.withBnVariant(variant) : spec;
  }
}
