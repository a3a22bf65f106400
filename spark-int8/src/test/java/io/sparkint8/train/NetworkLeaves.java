package io.sparkint8.train;

import io.sparkint8.kernels.Backends;
import io.sparkint8.kernels.memory.Float32Buffer;
import io.sparkint8.kernels.memory.OffHeapAllocator;
import io.sparkint8.nn.EngineConfig;
import io.sparkint8.nn.LayerContext;
import io.sparkint8.nn.Network;
import io.sparkint8.nn.Precision;
import io.sparkint8.nn.StepResult;
import io.sparkint8.nn.spec.NetworkSpec;
import io.sparkint8.nn.spec.Shape;
import io.sparkint8.quant.ClippingState;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Real leaves of a step: one small int8 network per partition (the same initial weights, as the
 * broadcast gives them), each trained one step on its own random rows, reporting its DSGC
 * statistics and BN statistics as a task does ({@link StepTask}). The first conv reads 2 channels,
 * so it is the stem (int8 forward, fp32 backward); the other three conv/fc layers clip with DSGC,
 * searching at steps 0, 3, 6, ...
 */
final class NetworkLeaves implements AutoCloseable {
  static final String SPEC = "conv(8,3)-bn-relu-maxpool(2)-conv(8,3)-bn-relu-fc(16)-bn-relu-fc(10)";
  static final Shape INPUT = Shape.chw(2, 8, 8);
  static final int MAX_ROWS = 24;
  static final long SEED = 515L;

  private final OffHeapAllocator alloc = new OffHeapAllocator("network leaves");
  private final Network[] nets;
  private final long dataSeed;

  NetworkLeaves(int partitions, long dataSeed) {
    this.dataSeed = dataSeed;
    EngineConfig cfg = EngineConfig.defaults(Precision.INT8).withClipUpdateInterval(3)
        .withSeed(SEED);
    nets = new Network[partitions];
    for (int p = 0; p < partitions; p++) {
      nets[p] = Network.build(NetworkSpec.parse(SPEC, 10), INPUT, MAX_ROWS,
          new LayerContext(Backends.get(), alloc, cfg));
    }
  }

  /** Every partition's step results at {@code step}, on rows of its own. */
  List<StepResult> steps(long step) {
    List<StepResult> out = new ArrayList<>();
    for (int p = 0; p < nets.length; p++) {
      SplittableRandom rnd = new SplittableRandom(dataSeed * 1_000_003L + step * 1_009L + p);
      int rows = 8 + rnd.nextInt(MAX_ROWS - 7);
      float[] x = new float[rows * INPUT.size()];
      // partitions see shifted and scaled data, so their statistics really differ
      double shift = 0.3 * p;
      double scale = 1 + 0.25 * p;
      for (int i = 0; i < x.length; i++) {
        x[i] = (float) (shift + scale * rnd.nextDouble(-1, 1));
      }
      int[] labels = new int[rows];
      for (int i = 0; i < rows; i++) {
        labels[i] = rnd.nextInt(10);
      }
      try (Float32Buffer xb = alloc.allocateFloat32(x.length).copyFrom(x)) {
        nets[p].context().beginStep(step, p);
        out.add(nets[p].trainStep(xb, labels, 0, rows));
      }
    }
    return out;
  }

  /** The int8 leaves of {@code step}, under scales from all partitions' maxima. */
  List<GradientAccumulator> leaves(long step) {
    List<StepResult> results = steps(step);
    float[] max = null;
    for (StepResult r : results) {
      float[] m = SharedScales.localMaxima(r.gradients());
      if (max == null) {
        max = m;
      }
      for (int t = 0; t < m.length; t++) {
        max[t] = Math.max(max[t], m[t]);
      }
    }
    SharedScales scales = SharedScales.fromMaxima(max);
    List<GradientAccumulator> out = new ArrayList<>();
    for (int p = 0; p < nets.length; p++) {
      out.add(GradientAccumulator.of(results.get(p), scales, SEED, step, p,
          WorkerReport.of(p, nets[p])));
    }
    return out;
  }

  /** The fp32 leaves of {@code step}. */
  List<GradientAccumulator> fp32Leaves(long step) {
    List<StepResult> results = steps(step);
    List<GradientAccumulator> out = new ArrayList<>();
    for (int p = 0; p < nets.length; p++) {
      out.add(GradientAccumulator.ofFp32(results.get(p), step, p, WorkerReport.of(p, nets[p])));
    }
    return out;
  }

  /** What the broadcast does between steps: every partition adopts the driver's states. */
  void adopt(List<ClippingState> states) {
    for (Network n : nets) {
      n.importClippingStates(states);
    }
  }

  @Override
  public void close() {
    for (Network n : nets) {
      n.close();
    }
    alloc.close();
  }
}
