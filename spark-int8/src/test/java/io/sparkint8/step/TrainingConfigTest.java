package io.sparkint8.step;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkint8.nn.EngineConfig;
import io.sparkint8.nn.Precision;
import io.sparkint8.optim.ConstantSchedule;
import io.sparkint8.optim.CosineSchedule;
import io.sparkint8.optim.LrScaling;
import io.sparkint8.optim.LrScheduleKind;
import io.sparkint8.optim.OptimizerConfig;
import io.sparkint8.optim.StepSchedule;
import io.sparkint8.optim.Warmup;
import io.sparkint8.quant.ClippingKind;
import io.sparkint8.quant.Dclrs;
import org.junit.jupiter.api.Test;

class TrainingConfigTest {
  private static final EngineConfig ENGINE = EngineConfig.defaults(Precision.INT8).withSeed(5);
  private static final OptimizerConfig SGD = OptimizerConfig.defaults("sgd");

  private static TrainingConfig.Builder builder() {
    return TrainingConfig.builder(ENGINE, SGD).lrSchedule(LrScheduleKind.CONSTANT, 0.1)
        .batchSize(64);
  }

  @Test
  void buildsTheSchedulesTheTrainersUsedToSpellOut() {
    // the local training digest's schedule
    assertEquals(new CosineSchedule(0.1, 0.0, 1.0, Warmup.linear(0.5, 0.1)),
        builder().lrSchedule(LrScheduleKind.COSINE, 0.1).warmupEpochs(0.5).build().schedule());
    // the Spark defaults: 0.025 at batch 256, scaled to batch 1024, over 10 epochs
    TrainingConfig spark = builder().lrSchedule(LrScheduleKind.COSINE, 0.025)
        .lrScaling(LrScaling.LINEAR).warmupEpochs(1).batchSize(1024).epochs(10).build();
    assertEquals(0.1, spark.peakLr(), 1e-15);
    assertEquals(new CosineSchedule(0.1, 0, 10, Warmup.linear(1, 0.1)), spark.schedule());
    assertEquals(new StepSchedule(0.1, 0.1, 3.5, Warmup.none()),
        builder().lrSchedule(LrScheduleKind.STEP, 0.1).epochs(7).build().schedule());
    assertEquals(new StepSchedule(0.1, 0.1, 1.0, Warmup.none()),
        builder().lrSchedule(LrScheduleKind.STEP, 0.1).epochs(1).build().schedule());
    assertEquals(new ConstantSchedule(0.1, Warmup.none()), builder().build().schedule());
  }

  /** DCLRS scales by DSGC's deviation: with max or mcs clipping it is rejected, not silently 1. */
  @Test
  void dclrsNeedsDsgcWhenErrorsAreQuantized() {
    for (ClippingKind kind : new ClippingKind[] {ClippingKind.MAX, ClippingKind.MCS}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> builder().engine(ENGINE.withClipping(kind)).build());
      assertTrue(e.getMessage().contains("dclrs=true with gradientClipping=" + kind)
          && e.getMessage().contains("set dclrs=false or gradientClipping=dsgc"), e.getMessage());
      // off, or without quantized errors (nothing to scale by), the combination is valid
      builder().engine(ENGINE.withClipping(kind).withDclrs(Dclrs.off())).build();
      builder().engine(EngineConfig.defaults(Precision.INT8_FORWARD).withClipping(kind)).build();
      builder().engine(EngineConfig.defaults(Precision.FP32).withClipping(kind)).build();
    }
    builder().engine(ENGINE.withClipping(ClippingKind.DSGC)).build();
  }

  @Test
  void defaultsAreNeutralAndTheShuffleSeedIsTheEngineSeed() {
    TrainingConfig c = builder().build();
    assertEquals(LrScaling.NONE, c.lrScaling());
    assertEquals(0.0, c.warmupEpochs());
    assertEquals(1, c.epochs());
    assertEquals(5L, c.shuffleSeed());
    assertEquals(GradientAggregation.INT8, c.aggregation());
    assertEquals(2, c.aggregationDepth());
    assertEquals(KernelBackend.AUTO, c.backend());
    assertEquals(-1L, c.failOnceAtStep());
    assertEquals(7L, builder().shuffleSeed(7).build().shuffleSeed());
    assertEquals(c, c.toBuilder().build());
    TrainingConfig all = c.toBuilder().lrSchedule(LrScheduleKind.STEP, 0.2)
        .lrScaling(LrScaling.LINEAR).warmupEpochs(0.5).batchSize(8).epochs(3).shuffleSeed(9)
        .aggregation(GradientAggregation.FP32, 4).backend(KernelBackend.JAVA).failOnceAtStep(2)
        .optimizer(OptimizerConfig.defaults("adam")).engine(ENGINE.withSeed(6)).build();
    assertEquals(all, all.toBuilder().build());
  }

  @Test
  void badSettingsAreRejectedByName() {
    assertRejected(() -> TrainingConfig.builder(ENGINE, SGD).batchSize(8).build(),
        "stepSize=NaN");
    assertRejected(() -> builder().batchSize(0).build(), "batchSize=0");
    assertRejected(() -> builder().epochs(0).build(), "epochs=0");
    assertRejected(() -> builder().aggregation(GradientAggregation.INT8, 0).build(),
        "aggregationDepth=0");
    assertRejected(() -> builder().warmupEpochs(-1).build(), "warmupEpochs=-1.0");
    assertRejected(() -> builder().failOnceAtStep(-2).build(), "failOnceAtStep=-2");
    // a cosine whose warmup lasts the whole training
    assertRejected(() -> builder().lrSchedule(LrScheduleKind.COSINE, 0.1).warmupEpochs(2)
        .epochs(2).build(), "totalEpochs=2.0");
    assertThrows(NullPointerException.class, () -> TrainingConfig.builder(ENGINE, null)
        .lrSchedule(LrScheduleKind.CONSTANT, 0.1).batchSize(1).build());
  }

  private static void assertRejected(Runnable r, String fragment) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::run);
    assertTrue(e.getMessage().contains(fragment), e.getMessage());
  }
}
