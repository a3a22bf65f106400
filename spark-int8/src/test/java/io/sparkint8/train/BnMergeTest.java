package io.sparkint8.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.sparkint8.nn.BnStats;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The driver's global batch statistics from four partitions of very different sizes and means must
 * be those of the union computed in one process (a plain average of partition means would not be).
 */
class BnMergeTest {
  private static final int[] ROWS = {3, 17, 40, 101};
  private static final int CHANNELS = 5;

  @Test
  void mergedStatisticsEqualThoseOfTheUnion() {
    Random rnd = new Random(4);
    List<double[][]> data = new ArrayList<>();
    List<GradientAccumulator> leaves = new ArrayList<>();
    SharedScales scales = SharedScales.of(1f);
    for (int p = 0; p < ROWS.length; p++) {
      double[][] x = new double[ROWS[p]][CHANNELS];
      double[][] y = new double[ROWS[p]][2];
      for (int r = 0; r < ROWS[p]; r++) {
        for (int c = 0; c < CHANNELS; c++) {
          // Partition-dependent offset and spread, plus a large common offset on channel 0 that a
          // naive E[x^2] - E[x]^2 would lose.
          x[r][c] = (c == 0 ? 1e4 : 0) + 3.0 * p + (1 + p) * rnd.nextGaussian();
        }
        y[r][0] = rnd.nextDouble();
        y[r][1] = -p + rnd.nextGaussian();
      }
      data.add(x);
      List<BnStats> bn = List.of(Fixtures.bnOf(x), Fixtures.bnOf(y));
      leaves.add(GradientAccumulator.of(
          Fixtures.step(ROWS[p], new float[][] {{0.5f}}, bn), scales, 1, 2, p));
    }
    // An unbalanced tree in a scrambled order, as a treeAggregate might build it.
    GradientAccumulator merged =
        leaves.get(2).merge(leaves.get(0)).merge(leaves.get(3).merge(leaves.get(1)));
    List<BnStats> got = merged.bnStats();
    assertEquals(2, got.size());

    double[][] union = concat(data);
    BnStats expected = Fixtures.bnOf(union);
    BnStats actual = got.get(0);
    assertEquals(union.length, actual.count());
    double[] madWeighted = new double[CHANNELS];
    for (int p = 0; p < ROWS.length; p++) {
      BnStats s = Fixtures.bnOf(data.get(p));
      for (int c = 0; c < CHANNELS; c++) {
        madWeighted[c] += s.meanAbsDev()[c] * ROWS[p] / union.length;
      }
    }
    for (int c = 0; c < CHANNELS; c++) {
      assertRelative(expected.mean()[c], actual.mean()[c], "mean of channel " + c);
      assertRelative(expected.variance(c), actual.variance(c), "variance of channel " + c);
      assertRelative(expected.m2()[c], actual.m2()[c], "M2 of channel " + c);
      // The mean absolute deviation merges count-weighted (about each partition's own mean).
      assertRelative(madWeighted[c], actual.meanAbsDev()[c], "meanAbsDev of channel " + c);
    }
  }

  @Test
  void mergedStatisticsDoNotDependOnTheMergeOrder() {
    Random rnd = new Random(6);
    List<GradientAccumulator> leaves = new ArrayList<>();
    for (int p = 0; p < ROWS.length; p++) {
      double[][] x = new double[ROWS[p]][CHANNELS];
      for (double[] row : x) {
        for (int c = 0; c < CHANNELS; c++) {
          row[c] = 0.1 * p + rnd.nextGaussian() / 3;
        }
      }
      leaves.add(GradientAccumulator.of(Fixtures.step(ROWS[p], new float[][] {{0.5f}},
          List.of(Fixtures.bnOf(x))), SharedScales.of(1f), 1, 2, p));
    }
    BnStats a = Fixtures.fold(leaves).bnStats().get(0);
    BnStats b = leaves.get(3).merge(leaves.get(1)).merge(leaves.get(2).merge(leaves.get(0)))
        .bnStats().get(0);
    for (int c = 0; c < CHANNELS; c++) {
      assertEquals(a.mean()[c], b.mean()[c], 0.0);
      assertEquals(a.m2()[c], b.m2()[c], 0.0);
    }
  }

  private static void assertRelative(double expected, double actual, String what) {
    assertEquals(expected, actual, 1e-6 * Math.abs(expected), what);
  }

  private static double[][] concat(List<double[][]> parts) {
    List<double[]> rows = new ArrayList<>();
    for (double[][] p : parts) {
      rows.addAll(List.of(p));
    }
    return rows.toArray(new double[0][]);
  }
}
