package io.sparkint8.train;

import io.sparkint8.nn.BnStats;
import io.sparkint8.nn.StepResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Seeded synthetic step results for the aggregation tests. */
final class Fixtures {
  static final long SEED = 20240611L;
  static final long STEP = 7;
  static final int[] LENGTHS = {5, 33, 200, 1};

  private Fixtures() {}

  /** Gradients of the given lengths, Gaussian with a different magnitude per tensor. */
  static float[][] gradients(Random rnd, int... lengths) {
    float[][] g = new float[lengths.length][];
    for (int t = 0; t < lengths.length; t++) {
      double sigma = Math.pow(10, -t);
      g[t] = new float[lengths[t]];
      for (int i = 0; i < lengths[t]; i++) {
        g[t][i] = (float) (rnd.nextGaussian() * sigma);
      }
    }
    return g;
  }

  static StepResult step(int rows, float[][] gradients, List<BnStats> bn) {
    return new StepResult(
        rows, 0.5 * rows + 0.125, rows / 2, 1e-3 * rows, gradients, bn, List.of());
  }

  static StepResult step(int rows, float[][] gradients) {
    return step(rows, gradients, List.of());
  }

  /** Per-channel statistics of {@code x[row][channel]} computed directly (two-pass). */
  static BnStats bnOf(double[][] x) {
    int n = x.length;
    int c = x[0].length;
    double[] mean = new double[c];
    double[] m2 = new double[c];
    double[] mad = new double[c];
    for (int ch = 0; ch < c; ch++) {
      double s = 0;
      for (double[] row : x) {
        s += row[ch];
      }
      mean[ch] = s / n;
      for (double[] row : x) {
        double d = row[ch] - mean[ch];
        m2[ch] += d * d;
        mad[ch] += Math.abs(d);
      }
      mad[ch] /= n;
    }
    return new BnStats(n, mean, m2, mad);
  }

  /** {@code partitions} leaves with random gradients and rows, all under one shared scale. */
  static List<GradientAccumulator> leaves(long dataSeed, int partitions) {
    Random rnd = new Random(dataSeed);
    List<StepResult> steps = new ArrayList<>();
    float[] max = new float[LENGTHS.length];
    for (int p = 0; p < partitions; p++) {
      StepResult s = step(8 + rnd.nextInt(40), gradients(rnd, LENGTHS));
      float[] m = SharedScales.localMaxima(s.gradients());
      for (int t = 0; t < m.length; t++) {
        max[t] = Math.max(max[t], m[t]);
      }
      steps.add(s);
    }
    SharedScales scales = SharedScales.fromMaxima(max);
    List<GradientAccumulator> out = new ArrayList<>();
    for (int p = 0; p < partitions; p++) {
      out.add(GradientAccumulator.of(steps.get(p), scales, SEED, STEP, p));
    }
    return out;
  }

  static GradientAccumulator fold(List<GradientAccumulator> parts) {
    GradientAccumulator a = GradientAccumulator.empty();
    for (GradientAccumulator p : parts) {
      a = a.merge(p);
    }
    return a;
  }
}
