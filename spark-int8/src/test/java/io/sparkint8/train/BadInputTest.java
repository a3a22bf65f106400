package io.sparkint8.train;


import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkint8.nn.BnStats;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** Every inconsistency is an IllegalArgumentException that names the tensor and the values. */
class BadInputTest {
  private static final SharedScales ONE_TWO = SharedScales.of(1f, 2f);

  @Test
  void mismatchedTensorCountsAreRejected() {
    GradientAccumulator two = leaf(0, new float[][] {{1f}, {1f, 2f}}, ONE_TWO);
    GradientAccumulator three =
        leaf(1, new float[][] {{1f}, {1f, 2f}, {3f}}, SharedScales.of(1f, 2f, 3f));
    expect(() -> two.merge(three), "2 vs 3 gradient tensors");
    expect(() -> leaf(0, new float[][] {{1f}}, ONE_TWO), "1 gradient tensors", "2 scales");
  }

  @Test
  void mismatchedTensorLengthsAreRejected() {
    GradientAccumulator a = leaf(0, new float[][] {{1f}, {1f, 2f}}, ONE_TWO);
    GradientAccumulator b = leaf(1, new float[][] {{1f}, {1f, 2f, 3f}}, ONE_TWO);
    expect(() -> a.merge(b), "tensor 1", "2 vs 3 elements");
  }

  @Test
  void differentScalesStepsOrRepeatedPartitionsAreRejected() {
    float[][] g = {{1f}, {1f, 2f}};
    GradientAccumulator a = leaf(0, g, ONE_TWO);
    expect(() -> a.merge(leaf(1, g, SharedScales.of(1f, 4f))), "tensor 1", "scale 2.0 vs 4.0");
    GradientAccumulator otherStep = GradientAccumulator.of(Fixtures.step(4, g), ONE_TWO, 1, 99, 1);
    expect(() -> a.merge(otherStep), "step " + Fixtures.STEP + " vs step 99");
    expect(() -> a.merge(leaf(1, g, ONE_TWO)).merge(leaf(1, g, ONE_TWO)), "partition 1");
  }

  @Test
  void nonFiniteGradientsAreRejected() {
    for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
      expect(() -> leaf(0, new float[][] {{1f}, {0f, bad}}, ONE_TWO),
          "tensor 1 element 1 = " + bad);
    }
    expect(() -> SharedScales.localMaxima(new float[][] {{Float.NaN}}), "tensor 0", "NaN");
  }

  @Test
  void nonPositiveOrNonFiniteScalesAreRejected() {
    for (float bad : new float[] {0f, -1f, Float.NaN, Float.POSITIVE_INFINITY}) {
      expect(() -> SharedScales.of(1f, bad), "tensor 1 = " + bad);
    }
    expect(() -> SharedScales.fromMaxima(new float[] {1f, -2f}), "tensor 1 = -2.0");
    expect(() -> SharedScales.fromMaxima(new float[] {1f}, 0.5f), "headroom = 0.5");
    expect(() -> SharedScales.fromMaxima(new float[] {3e38f}, 2f), "tensor 0", "overflows");
  }

  @Test
  void mismatchedBnLayoutsAndOtherBadValuesAreRejected() {
    float[][] g = {{1f}, {1f, 2f}};
    BnStats three = new BnStats(4, new double[3], new double[3], new double[3]);
    BnStats two = new BnStats(4, new double[2], new double[2], new double[2]);
    GradientAccumulator a = GradientAccumulator.of(
        Fixtures.step(4, g, List.of(three)), ONE_TWO, 1, Fixtures.STEP, 0);
    GradientAccumulator b = GradientAccumulator.of(
        Fixtures.step(4, g, List.of(two)), ONE_TWO, 1, Fixtures.STEP, 1);
    expect(() -> a.merge(b), "BN layer 0", "3 channels", "2 in partition 1");
    BnStats nan = new BnStats(4, new double[] {Double.NaN}, new double[1], new double[1]);
    expect(() -> GradientAccumulator.of(Fixtures.step(4, g, List.of(nan)), ONE_TWO, 1, 1, 0),
        "BN layer 0 channel 0 mean = NaN");
    expect(() -> a.decode(0), "globalRows = 0");
    expect(() -> GradientAccumulator.of(Fixtures.step(4, g), ONE_TWO, 1, 1, -1), "partition = -1");
  }

  private static GradientAccumulator leaf(int partition, float[][] g, SharedScales scales) {
    return GradientAccumulator.of(Fixtures.step(4, g), scales, 1, Fixtures.STEP, partition);
  }

  private static void expect(Executable e, String... fragments) {
    IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, e);
    for (String f : fragments) {
      assertTrue(ex.getMessage().contains(f), "'" + ex.getMessage() + "' lacks '" + f + "'");
    }
  }
}
