package io.sparkint8.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class SharedScalesTest {

  @Test
  void scalesAreTheMaximaTimesTheHeadroom() {
    SharedScales s = SharedScales.fromMaxima(new float[] {2f, 0.25f, 0f}, 1.5f);
    // a zero max takes the largest scale of the others
    assertArrayEquals(new float[] {3f, 0.375f, 3f}, s.toArray());
    assertEquals(SharedScales.fromMaxima(new float[] {2f}, SharedScales.DEFAULT_HEADROOM),
        SharedScales.fromMaxima(new float[] {2f}));
  }

  @Test
  void localMaximaAreTheLargestMagnitudes() {
    float[][] g = {{-3f, 2f}, {0f}, {0.5f, -0.75f, 0.25f}};
    assertArrayEquals(new float[] {3f, 0f, 0.75f}, SharedScales.localMaxima(g));
  }

  @Test
  void aggregatedMaximaGiveTheNextStepsScales() {
    GradientAccumulator sum = Fixtures.fold(Fixtures.leaves(9, 4));
    SharedScales next = SharedScales.fromMaxima(sum.maxAbs(), 2f);
    for (int t = 0; t < next.size(); t++) {
      assertEquals(2f * sum.maxAbs()[t], next.scale(t));
    }
  }

  @Test
  void aZeroGradientStaysExactlyZero() {
    SharedScales s = SharedScales.fromMaxima(new float[] {0f});
    GradientAccumulator a =
        GradientAccumulator.of(Fixtures.step(3, new float[][] {{0f, 0f}}), s, 1, 1, 0);
    assertArrayEquals(new float[] {0f, 0f}, a.decode(3)[0]);
  }
}
