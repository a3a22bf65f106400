package io.sparkint8.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkint8.nn.StepResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Issue 15, acceptance 4: a gradient spike (x10 the previous step) and a tensor whose previous
 * gradient was zero. The step is redone with this step's max as the scales, and the decoded
 * gradient then equals the exact fp32 mean within the quantization bound (stochastic rounding moves
 * each partition's code by less than one unit: |ĝ - Σg/B| < P * S / 127 / B).
 */
class GradientSaturationTest {
  private static final int PARTITIONS = 6;
  // Fixtures.LENGTHS plus a tensor that is all zero at the first step
  private static final int[] LENGTHS = {5, 33, 200, 1, 64};
  private static final int ZERO = 4;

  /** Each partition's step: rows and gradients; tensor ZERO is zero unless {@code wake}. */
  private static List<StepResult> steps(long seed, float factor, boolean wake) {
    Random rnd = new Random(seed);
    List<StepResult> out = new ArrayList<>();
    for (int p = 0; p < PARTITIONS; p++) {
      float[][] g = Fixtures.gradients(rnd, LENGTHS);
      for (int t = 0; t < g.length; t++) {
        for (int i = 0; i < g[t].length; i++) {
          g[t][i] = t == ZERO && !wake ? 0f : g[t][i] * factor;
        }
      }
      out.add(Fixtures.step(8 + rnd.nextInt(40), g));
    }
    return out;
  }

  /** The aggregate of {@code steps} under {@code scales}, as the Spark tree would fold it. */
  private static Function<SharedScales, GradientAccumulator> aggregation(List<StepResult> steps,
      AtomicInteger calls) {
    return scales -> {
      calls.incrementAndGet();
      GradientAccumulator acc = GradientAccumulator.empty();
      for (int p = 0; p < steps.size(); p++) {
        acc = acc.merge(GradientAccumulator.of(steps.get(p), scales, Fixtures.SEED,
            Fixtures.STEP, p));
      }
      return acc;
    };
  }

  /** The next step's scales, as the driver derives them from the aggregated max|g|. */
  private static SharedScales scalesAfter(List<StepResult> previous) {
    return SharedScales.fromMaxima(maxima(previous));
  }

  private static float[] maxima(List<StepResult> steps) {
    float[] max = new float[LENGTHS.length];
    for (StepResult s : steps) {
      float[] m = SharedScales.localMaxima(s.gradients());
      for (int t = 0; t < m.length; t++) {
        max[t] = Math.max(max[t], m[t]);
      }
    }
    return max;
  }

  /** max over elements of |decoded - exact mean| / (P * S / 127 / B), per tensor. */
  private static double[] errorInBounds(GradientAccumulator acc, List<StepResult> steps) {
    long rows = 0;
    for (StepResult s : steps) {
      rows += s.rows();
    }
    float[][] decoded = acc.decode(rows);
    double[] worst = new double[LENGTHS.length];
    for (int t = 0; t < LENGTHS.length; t++) {
      double bound = (double) acc.addends() * acc.scales().scale(t) / LeafQuantizer.QMAX / rows;
      for (int i = 0; i < LENGTHS[t]; i++) {
        double exact = 0;
        for (StepResult s : steps) {
          exact += s.gradients()[t][i];
        }
        exact /= rows;
        worst[t] = Math.max(worst[t], Math.abs(decoded[t][i] - exact) / bound);
      }
    }
    return worst;
  }

  @Test
  void aSpikeAndAWakingTensorAreRedoneAndDecodeWithinTheBound() {
    List<StepResult> before = steps(11, 1f, false);
    SharedScales scales = scalesAfter(before);
    // the zero tensor's scale is the largest of the others, not a tiny 2^-60
    float largest = 0f;
    for (int t = 0; t < ZERO; t++) {
      largest = Math.max(largest, scales.scale(t));
    }
    assertEquals(largest, scales.scale(ZERO), "scale of the zero-gradient tensor");

    List<StepResult> spike = steps(12, 10f, true);
    AtomicInteger calls = new AtomicInteger();
    GradientSaturation.Outcome out = GradientSaturation.aggregate(scales,
        aggregation(spike, calls));
    assertTrue(out.redone(), "a x10 spike must be redone");
    assertEquals(2, calls.get(), "one first attempt and one redo");
    assertTrue(out.saturatedCodes() > 0);
    // every spiked tensor of more than a few elements saturates beyond 0.1%
    assertTrue(out.saturatedTensors().length >= 3,
        "saturated tensors " + java.util.Arrays.toString(out.saturatedTensors()));
    GradientAccumulator applied = out.applied();
    assertEquals(0, applied.clippedCount(), "the redo's scales are this step's max: nothing clips");
    assertEquals(GradientSaturation.redoScales(aggregation(spike, new AtomicInteger())
        .apply(scales)), applied.scales());
    double[] worst = errorInBounds(applied, spike);
    for (int t = 0; t < LENGTHS.length; t++) {
      assertTrue(worst[t] < 1.0 + 1e-4, "tensor " + t + ": error " + worst[t] + " of the bound");
    }

    // The first attempt, which the redo replaces, lost gradient far beyond the bound.
    GradientAccumulator clipped = aggregation(spike, new AtomicInteger()).apply(scales);
    double[] lost = errorInBounds(clipped, spike);
    assertTrue(lost[2] > 10, "the clipped attempt's error is " + lost[2] + " of the bound");
  }

  @Test
  void aStepWithinItsScalesRunsOnce() {
    List<StepResult> before = steps(21, 1f, true);
    SharedScales scales = scalesAfter(before);
    AtomicInteger calls = new AtomicInteger();
    // the same step again: its max equals the scales' base, within the headroom
    GradientSaturation.Outcome out = GradientSaturation.aggregate(scales,
        aggregation(before, calls));
    assertFalse(out.redone());
    assertEquals(1, calls.get());
    assertEquals(0, out.saturatedCodes());
    assertArrayEquals(new int[0], out.saturatedTensors());
  }

  @Test
  void theThresholdIsOneCodeInAThousandPerTensor() {
    // 1000 elements, one partition, scale 1: one value beyond the clip is allowed, two are not
    float[] g = new float[1000];
    g[0] = 2f;
    SharedScales one = SharedScales.of(1f);
    GradientAccumulator a = GradientAccumulator.of(Fixtures.step(4, new float[][] {g}), one,
        1, 1, 0);
    assertEquals(1, a.clippedCount(0));
    assertArrayEquals(new int[0], GradientSaturation.saturatedTensors(a));
    float[] h = g.clone();
    h[1] = -3f;
    GradientAccumulator b = GradientAccumulator.of(Fixtures.step(4, new float[][] {h}), one,
        1, 1, 0);
    assertArrayEquals(new int[] {0}, GradientSaturation.saturatedTensors(b));
    // fp32 steps (no scales yet) are never redone
    AtomicInteger calls = new AtomicInteger();
    GradientSaturation.Outcome fp32 = GradientSaturation.aggregate(null, s -> {
      calls.incrementAndGet();
      return GradientAccumulator.ofFp32(Fixtures.step(4, new float[][] {h}), 1, 0, null);
    });
    assertFalse(fp32.redone());
    assertEquals(1, calls.get());
  }

  @Test
  void tensorsTooSmallForTheThresholdGetMoreHeadroom() {
    // 2 partitions: 5 x 2 codes (one saturated code is already beyond 0.1%) vs 600 x 2
    Random rnd = new Random(3);
    GradientAccumulator acc = GradientAccumulator.empty();
    for (int p = 0; p < 2; p++) {
      acc = acc.merge(GradientAccumulator.of(Fixtures.step(8, Fixtures.gradients(rnd, 5, 600)),
          SharedScales.of(1f, 1f), Fixtures.SEED, Fixtures.STEP, p));
    }
    SharedScales next = GradientSaturation.nextScales(acc);
    assertEquals(GradientSaturation.SMALL_TENSOR_HEADROOM * acc.maxAbs()[0], next.scale(0));
    assertEquals(SharedScales.DEFAULT_HEADROOM * acc.maxAbs()[1], next.scale(1));
  }

  @Test
  void allZeroGradientsTakeScaleOne() {
    SharedScales s = SharedScales.fromMaxima(new float[] {0f, 0f});
    assertArrayEquals(new float[] {SharedScales.ALL_ZERO_SCALE, SharedScales.ALL_ZERO_SCALE},
        s.toArray());
  }
}
