package io.sparkint8.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The aggregate must not depend on how Spark's treeAggregate groups and orders the partitions:
 * every tree shape gives the same object, bit for bit, including the floating-point statistics.
 */
class MergeTreeTest {

  @ParameterizedTest
  @ValueSource(ints = {2, 4, 7})
  void everyTreeShapeGivesTheSameAccumulator(int partitions) {
    List<GradientAccumulator> leaves = Fixtures.leaves(11L * partitions, partitions);
    GradientAccumulator reference = Fixtures.fold(leaves);
    float[][] expected = reference.decode(reference.rows());
    Random rnd = new Random(99L + partitions);
    for (int depth = 1; depth <= 3; depth++) {
      for (int trial = 0; trial < 20; trial++) {
        List<GradientAccumulator> shuffled = new ArrayList<>(leaves);
        Collections.shuffle(shuffled, rnd);
        GradientAccumulator a = tree(shuffled, depth, rnd);
        assertEquals(reference, a, "depth " + depth + " trial " + trial);
        float[][] got = a.decode(a.rows());
        for (int t = 0; t < got.length; t++) {
          assertBitsEqual(expected[t], got[t], "tensor " + t + " depth " + depth);
        }
        assertEquals(reference.lossSum(), a.lossSum(), 0.0);
      }
    }
    assertEquals(partitions, reference.addends());
    assertEquals(2, reference.width());
  }

  @Test
  void codeSumsAreTheIntegerSumsOfTheLeaves() {
    List<GradientAccumulator> leaves = Fixtures.leaves(5, 7);
    GradientAccumulator sum = Fixtures.fold(leaves);
    for (int t = 0; t < sum.tensorCount(); t++) {
      int[] expected = new int[sum.tensorLength(t)];
      for (GradientAccumulator leaf : leaves) {
        assertEquals(1, leaf.width());
        int[] q = leaf.codeSums(t);
        for (int i = 0; i < q.length; i++) {
          assertTrue(Math.abs(q[i]) <= 127);
          expected[i] += q[i];
        }
      }
      assertArrayEquals(expected, sum.codeSums(t), "tensor " + t);
    }
  }

  @Test
  void emptyIsTheIdentity() {
    GradientAccumulator leaf = Fixtures.leaves(3, 1).get(0);
    GradientAccumulator empty = GradientAccumulator.empty();
    assertSame(leaf, empty.merge(leaf));
    assertSame(leaf, leaf.merge(empty));
    assertTrue(empty.merge(empty).isEmpty());
    assertEquals(0, empty.width());
    assertEquals(List.of(), empty.bnStats());
  }

  @Test
  void sideStatisticsAreMerged() {
    List<GradientAccumulator> leaves = Fixtures.leaves(17, 4);
    GradientAccumulator sum = Fixtures.fold(leaves);
    long rows = 0;
    long correct = 0;
    double loss = 0;
    float[] max = new float[Fixtures.LENGTHS.length];
    for (GradientAccumulator l : leaves) {
      rows += l.rows();
      correct += l.correct();
      loss += l.lossSum();
      for (int t = 0; t < max.length; t++) {
        max[t] = Math.max(max[t], l.maxAbs()[t]);
      }
    }
    assertEquals(rows, sum.rows());
    assertEquals(correct, sum.correct());
    assertEquals(loss, sum.lossSum(), 0.0);
    // each leaf's row sum is 1e-3 per row: the row-weighted mean is 1e-3 whatever the rows
    assertEquals(1e-3, sum.rectificationLoss(), 1e-15);
    assertArrayEquals(max, sum.maxAbs());
    assertArrayEquals(new int[] {0, 1, 2, 3}, sum.partitions());
    assertNotEquals(0f, max[0]);
  }

  /** A random tree of the given depth: each level groups the nodes into random-sized groups. */
  private static GradientAccumulator tree(List<GradientAccumulator> nodes, int depth, Random rnd) {
    List<GradientAccumulator> level = nodes;
    for (int d = 1; d < depth && level.size() > 1; d++) {
      int groups = 1 + rnd.nextInt(level.size());
      List<List<GradientAccumulator>> buckets = new ArrayList<>();
      for (int g = 0; g < groups; g++) {
        buckets.add(new ArrayList<>());
      }
      for (GradientAccumulator n : level) {
        buckets.get(rnd.nextInt(groups)).add(n);
      }
      List<GradientAccumulator> next = new ArrayList<>();
      for (List<GradientAccumulator> b : buckets) {
        next.add(foldEitherSide(b, rnd));
      }
      level = next;
    }
    return foldEitherSide(level, rnd);
  }

  // Adds each node on a random side, so both a.merge(b) and b.merge(a) are exercised.
  private static GradientAccumulator foldEitherSide(List<GradientAccumulator> b, Random rnd) {
    GradientAccumulator a = GradientAccumulator.empty();
    for (GradientAccumulator n : b) {
      a = rnd.nextBoolean() ? a.merge(n) : n.merge(a);
    }
    return a;
  }

  private static void assertBitsEqual(float[] expected, float[] actual, String what) {
    assertEquals(expected.length, actual.length, what);
    for (int i = 0; i < expected.length; i++) {
      assertEquals(Float.floatToRawIntBits(expected[i]), Float.floatToRawIntBits(actual[i]),
          what + " element " + i);
    }
  }
}
