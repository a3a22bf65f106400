package io.sparkint8.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkint8.nn.StepResult;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The codes are stochastic rounding of the clipped gradient, keyed only by the task's identity. */
class StochasticRoundingTest {

  @Test
  void decodedMeanIsWithinTheRoundingBoundOfTheFp32Mean() {
    Random rnd = new Random(1);
    int partitions = 4;
    float[][][] g = new float[partitions][][];
    int[] rows = new int[partitions];
    float[] max = new float[Fixtures.LENGTHS.length];
    long total = 0;
    for (int p = 0; p < partitions; p++) {
      g[p] = Fixtures.gradients(rnd, Fixtures.LENGTHS);
      rows[p] = 10 + 7 * p;
      total += rows[p];
      float[] m = SharedScales.localMaxima(g[p]);
      for (int t = 0; t < m.length; t++) {
        max[t] = Math.max(max[t], m[t]);
      }
    }
    SharedScales scales = SharedScales.fromMaxima(max);
    GradientAccumulator a = GradientAccumulator.empty();
    for (int p = 0; p < partitions; p++) {
      a = a.merge(GradientAccumulator.of(Fixtures.step(rows[p], g[p]), scales, 3, 4, p));
    }
    assertEquals(0, a.clippedCount());
    float[][] decoded = a.decode(total);
    for (int t = 0; t < decoded.length; t++) {
      // Each partition's code is within one step S/127 of its exact value.
      double bound = partitions * scales.scale(t) / 127.0 / total;
      for (int i = 0; i < decoded[t].length; i++) {
        double exact = 0;
        for (int p = 0; p < partitions; p++) {
          exact += g[p][t][i];
        }
        exact /= total;
        assertTrue(Math.abs(decoded[t][i] - exact) <= bound * (1 + 1e-6),
            "tensor " + t + " element " + i + ": " + decoded[t][i] + " vs " + exact);
      }
    }
  }

  @Test
  void roundingIsUnbiasedOverSeeds() {
    float scale = 1f;
    float step = scale / 127;
    // Values at every fraction of a quantization step, where round-to-nearest would be biased.
    float[] g = new float[64];
    for (int i = 0; i < g.length; i++) {
      g[i] = (i - 32 + i / 64f) * step;
    }
    int seeds = 4000;
    double[] mean = new double[g.length];
    for (int s = 0; s < seeds; s++) {
      GradientAccumulator a = GradientAccumulator.of(
          Fixtures.step(1, new float[][] {g}), SharedScales.of(scale), 1000L + s, 0, 0);
      float[] d = a.decode(1)[0];
      for (int i = 0; i < g.length; i++) {
        mean[i] += d[i] / (double) seeds;
      }
    }
    // The per-draw error is at most one step with variance <= step^2 / 4.
    double sigma = step / 2 / Math.sqrt(seeds);
    double total = 0;
    for (int i = 0; i < g.length; i++) {
      assertEquals(g[i], mean[i], 5 * sigma, "element " + i);
      total += mean[i] - g[i];
    }
    assertEquals(0, total / g.length, 5 * sigma / Math.sqrt(g.length));
  }

  @Test
  void theSameTaskReproducesItsCodesAndOtherTasksDoNot() {
    Random rnd = new Random(8);
    StepResult r = Fixtures.step(16, Fixtures.gradients(rnd, Fixtures.LENGTHS));
    SharedScales scales = SharedScales.fromMaxima(SharedScales.localMaxima(r.gradients()));
    GradientAccumulator first = GradientAccumulator.of(r, scales, 42, 5, 3);
    GradientAccumulator retry = GradientAccumulator.of(r, scales, 42, 5, 3);
    assertEquals(first, retry);
    for (int t = 0; t < first.tensorCount(); t++) {
      assertArrayEquals(first.codeSums(t), retry.codeSums(t));
    }
    // Each key component changes the draws (tensor 2 has 200 elements: a collision is hopeless).
    int[] base = first.codeSums(2);
    assertFalse(Arrays.equals(base, GradientAccumulator.of(r, scales, 43, 5, 3).codeSums(2)));
    assertFalse(Arrays.equals(base, GradientAccumulator.of(r, scales, 42, 6, 3).codeSums(2)));
    assertFalse(Arrays.equals(base, GradientAccumulator.of(r, scales, 42, 5, 4).codeSums(2)));
  }

  @Test
  void valuesBeyondTheClipAreClippedAndCounted() {
    float[] g = {-3f, -1f, -0.25f, 0f, 0.999f, 1f, 1.0001f, 7f};
    GradientAccumulator a = GradientAccumulator.of(
        Fixtures.step(1, new float[][] {g}), SharedScales.of(1f), 0, 0, 0);
    assertEquals(3, a.clippedCount(), "-3, 1.0001 and 7 are beyond 1");
    int[] q = a.codeSums(0);
    assertEquals(-127, q[0]);
    assertEquals(-127, q[1]);
    assertEquals(0, q[3]);
    assertEquals(127, q[5]);
    assertEquals(127, q[6]);
    assertEquals(127, q[7]);
    assertArrayEquals(new float[] {7f}, new float[] {a.maxAbs()[0]});
  }
}
