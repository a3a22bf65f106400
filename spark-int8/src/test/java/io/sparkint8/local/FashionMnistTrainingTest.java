package io.sparkint8.local;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkint8.kernels.Backends;
import io.sparkint8.kernels.memory.OffHeapAllocator;
import io.sparkint8.nn.EngineConfig;
import io.sparkint8.nn.LayerContext;
import io.sparkint8.nn.Network;
import io.sparkint8.nn.Precision;
import io.sparkint8.nn.spec.NetworkSpec;
import io.sparkint8.optim.LrScheduleKind;
import io.sparkint8.optim.OptimizerConfig;
import io.sparkint8.step.TrainingConfig;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The engine learns real data in fully quantized int8: cnn-small on a 10k-image Fashion-MNIST subset,
 * one epoch, must reach 80 % test accuracy on the full 10k test set.
 */
class FashionMnistTrainingTest {

  @Test
  void cnnSmallInt8ReachesEightyPercentInOneEpochOnTenThousandImages() throws Exception {
    Dataset train = FashionMnistDataset.load(true).head(10_000);
    Dataset test = FashionMnistDataset.load(false);
    try (OffHeapAllocator alloc = new OffHeapAllocator("fashion-mnist-test")) {
      EngineConfig engine = EngineConfig.defaults(Precision.INT8);
      TrainingConfig config = TrainingConfig.builder(engine,
              OptimizerConfig.defaults("sgd").withWeightDecay(5e-4))
          .lrSchedule(LrScheduleKind.CONSTANT, 0.05).batchSize(32).shuffleSeed(7L).build();
      LayerContext ctx = new LayerContext(Backends.get(), alloc, engine);
      try (Network net = Network.build(NetworkSpec.preset("cnn-small", 10), train.shape(), 128,
              ctx);
          LocalTrainer trainer = new LocalTrainer(net, config)) {
        List<EpochReport> r = trainer.fit(train, test, e -> System.out.println("epoch " + e));
        double acc = r.get(0).testAccuracy();
        assertTrue(acc >= 0.80, "test accuracy " + acc + " after one int8 epoch on 10k images");
      }
    }
  }
}
