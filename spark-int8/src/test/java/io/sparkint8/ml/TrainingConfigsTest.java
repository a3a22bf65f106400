package io.sparkint8.ml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkint8.nn.EngineConfig;
import io.sparkint8.nn.Precision;
import io.sparkint8.nn.WeightScaling;
import io.sparkint8.optim.LrScaling;
import io.sparkint8.optim.LrScheduleKind;
import io.sparkint8.optim.OptimizerConfig;
import io.sparkint8.optim.OptimizerKind;
import io.sparkint8.quant.ClippingKind;
import io.sparkint8.quant.Dclrs;
import io.sparkint8.step.GradientAggregation;
import io.sparkint8.step.KernelBackend;
import io.sparkint8.step.TrainingConfig;
import org.junit.jupiter.api.Test;

/** Params to typed settings: every Param reaches its field of the one training config. */
class TrainingConfigsTest {

  @Test
  void defaultParamsGiveTheDocumentedConfig() {
    TrainingConfig c = TrainingConfigs.from(new Int8Classifier());
    assertEquals(EngineConfig.defaults(Precision.INT8), c.engine());
    assertEquals(OptimizerConfig.defaults(OptimizerKind.SGD).withWeightDecay(5e-4)
        .withMomentum(0.9).withNesterov(true), c.optimizer());
    assertEquals(LrScheduleKind.COSINE, c.lrSchedule());
    assertEquals(0.025, c.stepSize());
    assertEquals(LrScaling.LINEAR, c.lrScaling());
    assertEquals(1.0, c.warmupEpochs());
    assertEquals(1024, c.batchSize());
    assertEquals(10, c.epochs());
    assertEquals(42L, c.shuffleSeed());
    assertEquals(GradientAggregation.INT8, c.aggregation());
    assertEquals(2, c.aggregationDepth());
    assertEquals(KernelBackend.AUTO, c.backend());
    assertEquals(-1L, c.failOnceAtStep());
  }

  @Test
  void everyParamReachesTheConfig() {
    Int8Classifier p = new Int8Classifier().setPrecision("int8-forward").setGradientClipping("mcs")
        .setGradientGroupSize(32)
        .setClipUpdateInterval(7).setDclrs(false).setWeightScaling("per-tensor")
        .setBnRectification(0.5).setBnMomentum(0.2).setSeed(99).setOptimizer("lars")
        .setMomentum(0.5).setNesterov(false).setWeightDecay(0.01).setLrSchedule("step")
        .setStepSize(0.3).setLrScaling("none").setWarmupEpochs(0.25).setBatchSize(64)
        .setMaxEpochs(3).setAggregationPrecision("fp32").setAggregationDepth(3)
        .setBackend("java");
    TrainingConfig c = TrainingConfigs.from(p);
    assertEquals(new EngineConfig(Precision.INT8_FORWARD, 8, 32, ClippingKind.MCS, 7, Dclrs.off(),
        WeightScaling.PER_TENSOR, 0.5, 0.2, EngineConfig.defaults(Precision.FP32).bnEps(), 99),
        c.engine());
    assertEquals(OptimizerConfig.defaults(OptimizerKind.LARS).withWeightDecay(0.01)
        .withMomentum(0.5), c.optimizer());
    assertEquals(LrScheduleKind.STEP, c.lrSchedule());
    assertEquals(0.3, c.stepSize());
    assertEquals(LrScaling.NONE, c.lrScaling());
    assertEquals(0.25, c.warmupEpochs());
    assertEquals(64, c.batchSize());
    assertEquals(3, c.epochs());
    assertEquals(99L, c.shuffleSeed());
    assertEquals(GradientAggregation.FP32, c.aggregation());
    assertEquals(3, c.aggregationDepth());
    assertEquals(KernelBackend.JAVA, c.backend());
    // momentum and nesterov belong to sgd and lars only
    TrainingConfig adam = TrainingConfigs.from(p.setOptimizer("adam"));
    assertEquals(OptimizerConfig.defaults(OptimizerKind.ADAM).withWeightDecay(0.01),
        adam.optimizer());
  }

  @Test
  void bnVariantL1SwitchesEveryBnAndL2KeepsTheNetworkAsWritten() {
    Int8Classifier p = new Int8Classifier().setNetwork("resnet8").setBnVariant("l1");
    String l1 = TrainingConfigs.network(p, 10).toString();
    assertTrue(l1.contains("bn-l1") && !l1.replace("bn-l1", "").contains("bn"), l1);
    Int8Classifier mixed = new Int8Classifier().setNetwork("conv(4,3)-bn-l1-relu-fc(8)-bn-fc");
    assertEquals("conv(4,3)-bn-l1-relu-flatten-fc(8)-bn-fc(3)",
        TrainingConfigs.network(mixed, 3).toString());
    assertFalse(TrainingConfigs.network(mixed.setBnVariant("l1"), 3).toString()
        .matches(".*-bn-(?!l1).*"));
  }
}
