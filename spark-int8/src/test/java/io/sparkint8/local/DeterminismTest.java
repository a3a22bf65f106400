package io.sparkint8.local;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.sparkint8.kernels.Backends;
import io.sparkint8.kernels.memory.OffHeapAllocator;
import io.sparkint8.nn.EngineConfig;
import io.sparkint8.nn.LayerContext;
import io.sparkint8.nn.Network;
import io.sparkint8.nn.Precision;
import io.sparkint8.nn.spec.NetworkSpec;
import io.sparkint8.nn.spec.Shape;
import io.sparkint8.optim.LrScheduleKind;
import io.sparkint8.optim.OptimizerConfig;
import io.sparkint8.step.TrainingConfig;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Same seed, bit-identical weights after training, whatever the kernels' thread count. */
class DeterminismTest {
  static final String SPEC = "conv(8,3)-bn-relu-maxpool(2)-conv(8,3,s=2)-bn-relu-dropout(0.2)-fc(16)"
      + "-relu-fc";

  private static Dataset data(long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    int n = 96;
    Shape shape = Shape.chw(2, 12, 12);
    float[] x = new float[n * shape.size()];
    int[] y = new int[n];
    for (int i = 0; i < n; i++) {
      y[i] = rnd.nextInt(3);
      for (int j = 0; j < shape.size(); j++) {
        x[i * shape.size() + j] = (float) (rnd.nextDouble(-1, 1) + 0.3 * y[i] * ((j % 3) - 1));
      }
    }
    return new Dataset(x, y, shape, 3);
  }

  private static float[][] train(Precision p, int threads, long seed) {
    Dataset d = data(5);
    try (OffHeapAllocator alloc = new OffHeapAllocator("determinism")) {
      EngineConfig engine =
          EngineConfig.defaults(p).withSeed(seed).withGradientBits(p == Precision.INT8 ? 6 : 8);
      TrainingConfig config = TrainingConfig.builder(engine, OptimizerConfig.defaults("sgd"))
          .lrSchedule(LrScheduleKind.CONSTANT, 0.05).batchSize(32).epochs(2).build();
      LayerContext ctx = new LayerContext(Backends.get().withThreads(threads), alloc, engine);
      try (Network net = Network.build(NetworkSpec.parse(SPEC, 3), d.shape(), 32, ctx);
          LocalTrainer t = new LocalTrainer(net, config)) {
        t.fit(d, null, null);
        return net.weights();
      }
    }
  }

  @ParameterizedTest
  @EnumSource(Precision.class)
  void sameSeedSameBitsWhateverTheThreadCount(Precision p) {
    float[][] one = train(p, 1, 11);
    float[][] two = train(p, 2, 11);
    float[][] three = train(p, 3, 11);
    for (int i = 0; i < one.length; i++) {
      assertArrayEquals(one[i], two[i], p + ": parameter " + i + " differs with 2 threads");
      assertArrayEquals(one[i], three[i], p + ": parameter " + i + " differs with 3 threads");
    }
    float[][] other = train(p, 1, 12);
    assertFalse(Arrays.deepEquals(one, other), p + ": another seed gave the same weights");
  }
}
