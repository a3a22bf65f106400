package io.sparkint8.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkint8.kernels.memory.Float32Buffer;
import io.sparkint8.kernels.memory.OffHeapAllocator;
import io.sparkint8.kernels.ref.JavaBackend;
import io.sparkint8.nn.BatchNorm;
import io.sparkint8.nn.BnStats;
import io.sparkint8.nn.EngineConfig;
import io.sparkint8.nn.LayerContext;
import io.sparkint8.nn.Precision;
import io.sparkint8.nn.spec.Shape;
import java.math.BigDecimal;
import java.math.MathContext;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Issue 4, acceptance 2 (BN merge): a BatchNorm layer's batch statistics measured by the engine on
 * four partitions of 3, 17, 64 and 255 rows (8 channels whose values have large means, different
 * per partition), carried in the gradient accumulators and merged by {@link
 * GradientAccumulator#bnStats()} ({@link BnStats#merge}), equal the statistics the same layer
 * measures on the union in one process, and those computed exactly, to 1e-6 relative for every
 * channel's mean and variance, whatever the merge order. The running statistics updated from them
 * agree too.
 */
class BnUnequalPartitionsTest {
  private static final long SEED = 20251122L;
  private static final int[] ROWS = {3, 17, 64, 255};
  private static final int C = 8;
  // Large channel means (float spacing up to 0.03 at 2e5) with small spreads: a one-pass
  // E[x^2] - E[x]^2 in double would lose most digits of the variance.
  private static final double[] MEAN = {1e4, -2.5e4, 5e3, 1e5, 300, -7e4, 1.5e4, 2e5};
  private static final double[] SPREAD = {1, 0.5, 20, 2, 0.01, 3, 7, 5};
  private static final double REL = 1e-6;

  @Test
  void mergedStatisticsOfUnequalPartitionsEqualThoseOfTheUnion() {
    float[][] parts = data();
    EngineConfig config = EngineConfig.defaults(Precision.FP32);
    try (OffHeapAllocator alloc = new OffHeapAllocator("bn-merge test")) {
      LayerContext ctx = new LayerContext(new JavaBackend(), alloc, config);
      List<GradientAccumulator> leaves = new ArrayList<>();
      List<BnStats> local = new ArrayList<>();
      for (int p = 0; p < ROWS.length; p++) {
        BnStats s = engineStats(ctx, parts[p], ROWS[p]);
        assertEquals(ROWS[p], s.count());
        local.add(s);
        leaves.add(GradientAccumulator.of(Fixtures.step(ROWS[p], new float[][] {{0.25f, -1f}},
            List.of(s)), SharedScales.of(1f), SEED, 3, p));
      }
      float[] all = concat(parts);
      int total = Arrays.stream(ROWS).sum();
      BnStats union = engineStats(ctx, all, total);
      double[][] exact = exactMeanAndVariance(all, total);

      BnStats merged = null;
      for (int[] order : permutations(ROWS.length)) {
        GradientAccumulator acc = GradientAccumulator.empty();
        for (int p : order) {
          acc = acc.merge(leaves.get(p));
        }
        BnStats m = acc.bnStats().get(0);
        if (merged == null) {
          merged = m;
        } else {
          // folded in partition order whatever the merge order: bit-identical
          assertTrue(Arrays.equals(merged.mean(), m.mean()), Arrays.toString(order));
          assertTrue(Arrays.equals(merged.m2(), m.m2()), Arrays.toString(order));
        }
      }
      // and an unbalanced tree
      BnStats tree = leaves.get(3).merge(leaves.get(0))
          .merge(leaves.get(2).merge(leaves.get(1))).bnStats().get(0);
      assertTrue(Arrays.equals(merged.mean(), tree.mean()));
      assertTrue(Arrays.equals(merged.m2(), tree.m2()));

      assertEquals(total, merged.count());
      assertEquals(total, union.count());
      for (int c = 0; c < C; c++) {
        String ch = "channel " + c + " (seed " + SEED + ")";
        assertRelative(union.mean()[c], merged.mean()[c], "mean of " + ch + " vs the union");
        assertRelative(union.variance(c), merged.variance(c), "variance of " + ch
            + " vs the union");
        assertRelative(exact[0][c], merged.mean()[c], "mean of " + ch + " vs exact");
        assertRelative(exact[1][c], merged.variance(c), "variance of " + ch + " vs exact");
      }
      // Guard: the test can tell a wrong merge from a right one. Averaging the partitions' means
      // and variances without weights (or without the between-partition term) is far off.
      double worstMean = 0;
      double worstVar = 0;
      for (int c = 0; c < C; c++) {
        double naiveMean = 0;
        double pooledVar = 0;
        for (BnStats s : local) {
          naiveMean += s.mean()[c] / local.size();
          pooledVar += s.m2()[c] / total;
        }
        worstMean = Math.max(worstMean, Math.abs(naiveMean - exact[0][c]) / Math.abs(exact[0][c]));
        worstVar = Math.max(worstVar, Math.abs(pooledVar - exact[1][c]) / exact[1][c]);
      }
      assertTrue(worstMean > 100 * REL, "unweighted mean of means is off by only " + worstMean);
      assertTrue(worstVar > 100 * REL, "pooled within-partition variance off by only " + worstVar);

      // The driver's running statistics move the same way from merged and from union stats.
      try (BatchNorm fromMerged = new BatchNorm(ctx, Shape.chw(C, 1, 1), 1, false);
          BatchNorm fromUnion = new BatchNorm(ctx, Shape.chw(C, 1, 1), 1, false)) {
        for (int i = 0; i < 3; i++) {
          fromMerged.updateRunning(merged);
          fromUnion.updateRunning(union);
        }
        for (int c = 0; c < C; c++) {
          assertRelative(fromUnion.runningMean()[c], fromMerged.runningMean()[c],
              "running mean of channel " + c);
          assertRelative(fromUnion.runningScale()[c], fromMerged.runningScale()[c],
              "running scale of channel " + c);
        }
      }
    }
  }

  /** Rows x channels (channels last), float, per partition; the means shift with the partition. */
  private static float[][] data() {
    Random rnd = new Random(SEED);
    float[][] parts = new float[ROWS.length][];
    for (int p = 0; p < ROWS.length; p++) {
      float[] x = new float[ROWS[p] * C];
      for (int r = 0; r < ROWS[p]; r++) {
        for (int c = 0; c < C; c++) {
          double shift = (p - 1.5) * SPREAD[c] * 2;
          x[r * C + c] = (float) (MEAN[c] + shift + SPREAD[c] * (1 + p) * rnd.nextGaussian());
        }
      }
      parts[p] = x;
    }
    return parts;
  }

  /** The statistics the engine's BatchNorm measures in a training forward over {@code rows}. */
  private static BnStats engineStats(LayerContext ctx, float[] x, int rows) {
    try (BatchNorm bn = new BatchNorm(ctx, Shape.chw(C, 1, 1), rows, false);
        Float32Buffer in = ctx.allocator().allocateFloat32(x.length).copyFrom(x)) {
      bn.forward(in, rows, true);
      return bn.batchStats();
    }
  }

  /** Mean and population variance per channel of the float values, in exact decimal arithmetic. */
  private static double[][] exactMeanAndVariance(float[] x, int rows) {
    double[][] out = new double[2][C];
    MathContext mc = MathContext.DECIMAL128;
    for (int c = 0; c < C; c++) {
      BigDecimal sum = BigDecimal.ZERO;
      for (int r = 0; r < rows; r++) {
        sum = sum.add(new BigDecimal(x[r * C + c]));
      }
      BigDecimal mean = sum.divide(BigDecimal.valueOf(rows), mc);
      BigDecimal ss = BigDecimal.ZERO;
      for (int r = 0; r < rows; r++) {
        BigDecimal d = new BigDecimal(x[r * C + c]).subtract(mean);
        ss = ss.add(d.multiply(d));
      }
      out[0][c] = mean.doubleValue();
      out[1][c] = ss.divide(BigDecimal.valueOf(rows), mc).doubleValue();
    }
    return out;
  }

  private static float[] concat(float[][] parts) {
    int n = 0;
    for (float[] p : parts) {
      n += p.length;
    }
    float[] all = new float[n];
    int at = 0;
    for (float[] p : parts) {
      System.arraycopy(p, 0, all, at, p.length);
      at += p.length;
    }
    return all;
  }

  private static List<int[]> permutations(int n) {
    List<int[]> out = new ArrayList<>();
    permute(new int[n], new boolean[n], 0, out);
    return out;
  }

  private static void permute(int[] cur, boolean[] used, int k, List<int[]> out) {
    if (k == cur.length) {
      out.add(cur.clone());
      return;
    }
    for (int i = 0; i < cur.length; i++) {
      if (!used[i]) {
        used[i] = true;
        cur[k] = i;
        permute(cur, used, k + 1, out);
        used[i] = false;
      }
    }
  }

  private static void assertRelative(double expected, double actual, String what) {
    assertEquals(expected, actual, REL * Math.abs(expected), what);
  }
}
