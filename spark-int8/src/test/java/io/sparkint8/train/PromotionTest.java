package io.sparkint8.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** int8 at a leaf, int16 up to 258 addends, int32 from 259: the sums never overflow or round. */
class PromotionTest {
  private static final float S = 0.5f;

  @Test
  void widthFollowsTheAddendCountAndSumsStayExact() {
    for (int sign : new int[] {1, -1}) {
      // 2S is beyond the clip, so every code is exactly sign * 127 whatever the random draw.
      List<GradientAccumulator> leaves = leaves(300, sign * 2 * S);
      GradientAccumulator a = GradientAccumulator.empty();
      for (int k = 1; k <= 300; k++) {
        a = a.merge(leaves.get(k - 1));
        int expectedWidth = k == 1 ? 1 : k <= 258 ? 2 : 4;
        assertEquals(expectedWidth, a.width(), "width after " + k + " addends");
        int[] sums = a.codeSums(0);
        for (int s : sums) {
          assertEquals(sign * 127 * k, s, "sum after " + k + " addends");
        }
        assertEquals((long) expectedWidth * sums.length, a.payloadBytes());
      }
      float[] mean = a.decode(a.rows())[0];
      for (float g : mean) {
        assertEquals(sign * S, g, 0f);
      }
      assertEquals(300L * 64, a.clippedCount());
    }
  }

  @Test
  void splitAtThePromotionBoundaryGivesTheSameSum() {
    List<GradientAccumulator> leaves = leaves(300, 2 * S);
    GradientAccumulator left = Fixtures.fold(leaves.subList(0, 258));
    GradientAccumulator right = Fixtures.fold(leaves.subList(258, 300));
    assertEquals(2, left.width());
    assertEquals(32766, left.codeSums(0)[0]);
    GradientAccumulator all = right.merge(left);
    assertEquals(4, all.width());
    assertEquals(Fixtures.fold(leaves), all);
    assertEquals(127 * 300, all.codeSums(0)[0]);
  }

  private static List<GradientAccumulator> leaves(int n, float value) {
    float[] g = new float[64];
    Arrays.fill(g, value);
    SharedScales scales = SharedScales.of(S);
    List<GradientAccumulator> out = new ArrayList<>();
    for (int p = 0; p < n; p++) {
      out.add(GradientAccumulator.of(
          Fixtures.step(1, new float[][] {g}), scales, Fixtures.SEED, Fixtures.STEP, p));
    }
    return out;
  }
}
