package io.sparkint8.step;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkint8.kernels.Backends;
import io.sparkint8.kernels.memory.OffHeapAllocator;
import io.sparkint8.nn.BatchNorm;
import io.sparkint8.nn.BnStats;
import io.sparkint8.nn.EngineConfig;
import io.sparkint8.nn.Layer;
import io.sparkint8.nn.LayerContext;
import io.sparkint8.nn.Linear;
import io.sparkint8.nn.Network;
import io.sparkint8.nn.Precision;
import io.sparkint8.nn.StepResult;
import io.sparkint8.nn.spec.NetworkSpec;
import io.sparkint8.nn.spec.Shape;
import io.sparkint8.optim.OptimizerConfig;
import io.sparkint8.optim.Parameter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The update that ends every step of both trainers, checked on a tiny network. */
class StepUpdateTest {
  static final long SEED = 3L;
  static final OptimizerConfig SGD = OptimizerConfig.defaults("sgd");

  OffHeapAllocator alloc;

  @BeforeEach
  void open() {
    alloc = new OffHeapAllocator("step-update-test");
  }

  @AfterEach
  void close() {
    alloc.close();
  }

  Network network() {
    LayerContext ctx = new LayerContext(Backends.get(), alloc,
        EngineConfig.defaults(Precision.FP32).withSeed(SEED));
    return Network.build(NetworkSpec.parse("fc(4)-bn-relu-fc", 3), Shape.features(6), 8, ctx);
  }

  /** Seeded gradients shaped like {@code net}'s parameters. */
  static float[][] gradients(Network net) {
    SplittableRandom r = new SplittableRandom(SEED);
    List<Parameter> params = net.parameters();
    float[][] g = new float[params.size()][];
    for (int i = 0; i < g.length; i++) {
      g[i] = new float[params.get(i).size()];
      for (int j = 0; j < g[i].length; j++) {
        g[i][j] = (float) r.nextDouble(-1, 1);
      }
    }
    return g;
  }

  static List<BnStats> stats(Network net) {
    List<BnStats> out = new ArrayList<>();
    for (BatchNorm bn : net.batchNorms()) {
      int c = bn.runningMean().length;
      double[] mean = new double[c];
      double[] m2 = new double[c];
      Arrays.setAll(mean, i -> i + 1);
      Arrays.setAll(m2, i -> 16.0 * (i + 1));
      out.add(new BnStats(16, mean, m2, new double[c]));
    }
    return out;
  }

  static int firstLinear(Network net) {
    List<Layer> layers = net.layers();
    for (int i = 0; i < layers.size(); i++) {
      if (layers.get(i) instanceof Linear) {
        return i;
      }
    }
    throw new AssertionError("no fc layer in " + layers);
  }

  @Test
  void aLayerFactorScalesOnlyThatLayersRate() {
    try (Network half = network(); Network full = network()) {
      int fc = firstLinear(half);
      LayerFactors factors = new LayerFactors(new int[] {fc}, new double[] {0.5},
          new double[] {0.01}, new double[] {1.0});
      // lr 0.2 x factor 0.5 is exactly lr 0.1 x factor 1: the measured layer moves the same
      new StepUpdate(half, SGD).apply(gradients(half), stats(half), factors, 0.2);
      new StepUpdate(full, SGD).apply(gradients(full), stats(full), LayerFactors.none(), 0.1);
      List<Parameter> measured = half.layers().get(fc).parameters();
      assertFalse(measured.isEmpty());
      for (int i = 0; i < half.parameters().size(); i++) {
        Parameter a = half.parameters().get(i);
        Parameter b = full.parameters().get(i);
        if (measured.contains(a)) {
          assertEquals(0.5, a.lrFactor(), a.name());
          assertArrayEquals(b.values(), a.values(), a.name() + " moved at lr 0.2 x 0.5");
        } else {
          assertEquals(1.0, a.lrFactor(), a.name());
          assertFalse(Arrays.equals(b.values(), a.values()), a.name() + " moved at lr 0.2");
        }
      }
    }
  }

  @Test
  void runningStatisticsMoveTowardTheBatchStatistics() {
    try (Network net = network()) {
      BatchNorm bn = net.batchNorms().get(0);
      double[] before = bn.runningMean();
      double momentum = net.context().config().bnMomentum();
      List<BnStats> batch = stats(net);
      new StepUpdate(net, SGD).apply(gradients(net), batch, LayerFactors.none(), 0.1);
      double[] after = bn.runningMean();
      for (int c = 0; c < after.length; c++) {
        assertEquals((1 - momentum) * before[c] + momentum * batch.get(0).mean()[c], after[c],
            "channel " + c);
      }
    }
  }

  @Test
  void meanGradientsDivideTheSumsByTheRows() {
    float[][] sums = {{4f, -2f}, {1f}};
    StepResult r = new StepResult(4, 0, 0, 0, sums, List.of(), List.of());
    assertArrayEquals(new float[][] {{1f, -0.5f}, {0.25f}}, StepUpdate.meanGradients(r));
  }

  @Test
  void refusesGradientsOrStatisticsOfAnotherNetwork() {
    try (Network net = network()) {
      StepUpdate update = new StepUpdate(net, SGD);
      float[][] g = gradients(net);
      IllegalArgumentException tooFew = assertThrows(IllegalArgumentException.class,
          () -> update.apply(Arrays.copyOf(g, g.length - 1), stats(net), LayerFactors.none(),
              0.1));
      assertTrue(tooFew.getMessage().contains((g.length - 1) + " gradients"),
          tooFew.getMessage());
      g[0] = new float[g[0].length + 1];
      IllegalArgumentException wrongLength = assertThrows(IllegalArgumentException.class,
          () -> update.apply(g, stats(net), LayerFactors.none(), 0.1));
      assertTrue(wrongLength.getMessage().contains(net.parameters().get(0).name()),
          wrongLength.getMessage());
      assertThrows(IllegalArgumentException.class,
          () -> update.apply(gradients(net), List.of(), LayerFactors.none(), 0.1));
      LayerFactors outside = new LayerFactors(new int[] {net.layers().size()}, new double[] {1},
          new double[] {0}, new double[] {1});
      IllegalArgumentException noLayer = assertThrows(IllegalArgumentException.class,
          () -> update.apply(gradients(net), stats(net), outside, 0.1));
      assertTrue(noLayer.getMessage().contains("layer " + net.layers().size()),
          noLayer.getMessage());
    }
  }

  @Test
  void layerFactorsAreImmutableAndChecked() {
    int[] index = {2};
    double[] factor = {0.5};
    LayerFactors f = new LayerFactors(index, factor, new double[] {Double.NaN}, new double[] {1});
    index[0] = 7;
    factor[0] = 9;
    f.lrFactor()[0] = 3;
    assertArrayEquals(new int[] {2}, f.layerIndex());
    assertArrayEquals(new double[] {0.5}, f.lrFactor());
    assertEquals(new LayerFactors(new int[] {2}, new double[] {0.5}, new double[] {Double.NaN},
        new double[] {1}), f, "NaN deviations compare equal");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new LayerFactors(new int[] {1, 2}, new double[] {1}, new double[2], new double[2]));
    assertTrue(e.getMessage().contains("2 layer indices, 1 factors"), e.getMessage());
  }
}
