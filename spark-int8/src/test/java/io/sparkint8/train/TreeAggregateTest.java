package io.sparkint8.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkint8.ml.SparkTestSession;
import io.sparkint8.nn.BnStats;
import io.sparkint8.nn.StepResult;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 4, acceptance 2 (exact aggregation): for fixed per-partition step results (gradients and
 * BN statistics) and fixed shared scales, the decoded gradient sum and the merged BN statistics are
 * bit-identical whatever tree combines the leaves: the shapes Spark's {@code treeAggregate} builds
 * for depth 1, 2 and 3 (simulated, with every merge order and side), and a real {@code
 * treeAggregate} over 2, 4, 7 and 16 Spark partitions on the shared session. Both the int8 leaves
 * and the fp32 leaves of the first step are checked.
 */
class TreeAggregateTest {
  private static final long QUANT_SEED = 77L;
  private static final long STEP = 5L;
  private static final int[] LENGTHS = {7, 64, 300, 3};
  private static final int[] BN_CHANNELS = {3, 6};

  /**
   * Leaves of partitions 0..n-1 at one step: seeded Gaussian gradients of a different magnitude
   * per tensor, BN statistics of seeded data with a partition-dependent mean, and one shared scale
   * per tensor (from the maxima of all leaves, as the driver derives them).
   */
  static List<GradientAccumulator> leaves(long seed, int n, boolean fp32) {
    Random rnd = new Random(seed);
    List<StepResult> steps = new ArrayList<>();
    float[] max = new float[LENGTHS.length];
    for (int p = 0; p < n; p++) {
      int rows = 5 + rnd.nextInt(60);
      List<BnStats> bn = new ArrayList<>();
      for (int channels : BN_CHANNELS) {
        double[][] x = new double[rows][channels];
        for (double[] row : x) {
          for (int c = 0; c < channels; c++) {
            row[c] = 100.0 * c + p + (1 + c) * rnd.nextGaussian();
          }
        }
        bn.add(Fixtures.bnOf(x));
      }
      float[][] g = Fixtures.gradients(rnd, LENGTHS);
      StepResult s = new StepResult(rows, rows * (0.7 + rnd.nextDouble()), rnd.nextInt(rows + 1),
          1e-4 * rnd.nextDouble(), g, bn, List.of());
      float[] m = SharedScales.localMaxima(g);
      for (int t = 0; t < m.length; t++) {
        max[t] = Math.max(max[t], m[t]);
      }
      steps.add(s);
    }
    SharedScales scales = SharedScales.fromMaxima(max);
    List<GradientAccumulator> out = new ArrayList<>();
    for (int p = 0; p < n; p++) {
      out.add(fp32 ? GradientAccumulator.ofFp32(steps.get(p), STEP, p, null)
          : GradientAccumulator.of(steps.get(p), scales, QUANT_SEED, STEP, p));
    }
    return out;
  }

  /** The sequential merge in partition order: the reference every tree must reproduce. */
  private static GradientAccumulator sequential(List<GradientAccumulator> leaves) {
    GradientAccumulator a = GradientAccumulator.empty();
    for (GradientAccumulator l : leaves) {
      a = a.merge(l);
    }
    return a;
  }

  @ParameterizedTest(name = "{0} partitions")
  @ValueSource(ints = {2, 4, 7})
  void treeAggregateShapesOfDepthOneToThreeGiveIdenticalBits(int partitions) {
    for (boolean fp32 : new boolean[] {false, true}) {
      // one leaf per partition, and three leaves per partition but one (seqOp folds several)
      for (int leafCount : new int[] {partitions, 3 * partitions - 1}) {
        long seed = 1000L * partitions + leafCount + (fp32 ? 1 : 0);
        List<GradientAccumulator> leaves = leaves(seed, leafCount, fp32);
        GradientAccumulator reference = sequential(leaves);
        assertEquals(leafCount, reference.addends());
        assertEquals(fp32, reference.isFp32());
        Random rnd = new Random(seed);
        for (int depth = 1; depth <= 3; depth++) {
          for (int trial = 0; trial < 10; trial++) {
            List<GradientAccumulator> order = new ArrayList<>(leaves);
            Collections.shuffle(order, rnd);
            GradientAccumulator got = sparkShapedTree(order, partitions, depth, rnd);
            assertIdentical(reference, got, (fp32 ? "fp32" : "int8") + ", " + leafCount
                + " leaves in " + partitions + " partitions, depth " + depth + ", trial " + trial
                + ", seed " + seed);
          }
        }
      }
    }
  }

  @Test
  void sparkTreeAggregateEqualsTheSequentialMergeBitForBit() {
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(SparkTestSession.get().sparkContext());
    for (boolean fp32 : new boolean[] {false, true}) {
      // int8 on every count; the fp32 leaves of the first step on the deepest trees only
      for (int partitions : fp32 ? new int[] {16} : new int[] {2, 4, 7, 16}) {
        long seed = 31L * partitions + (fp32 ? 1 : 0);
        // one more leaf than partitions, so one partition folds two leaves in its seqOp
        List<GradientAccumulator> leaves = leaves(seed, partitions + 1, fp32);
        GradientAccumulator reference = sequential(leaves);
        // parallelize ships the leaves through Kryo (registrationRequired=true) to the tasks
        JavaRDD<GradientAccumulator> rdd = jsc.parallelize(leaves, partitions);
        assertEquals(partitions, rdd.getNumPartitions());
        for (int depth = 1; depth <= 3; depth++) {
          String what = (fp32 ? "fp32" : "int8") + ", " + partitions + " partitions, depth "
              + depth + ", seed " + seed;
          GradientAccumulator got = rdd.treeAggregate(GradientAccumulator.empty(),
              (a, b) -> a.merge(b), (a, b) -> a.merge(b), depth);
          assertIdentical(reference, got, what);
          if (depth != 2 || partitions < 7) {
            continue;
          }
          GradientAccumulator onExecutor = rdd.treeAggregate(GradientAccumulator.empty(),
              (a, b) -> a.merge(b), (a, b) -> a.merge(b), depth, true);
          assertIdentical(reference, onExecutor, what + ", final aggregate on an executor");
        }
      }
    }
  }

  @Test
  void theSimulatedTreesReallyDiffer() {
    // Guard: the simulation must build multi-level trees, otherwise the matrix above would only
    // ever test one shape. Spark's rule gives 7 partitions at depth 2 an intermediate level of 2.
    assertEquals(List.of(7, 2), levels(7, 2));
    assertEquals(List.of(7), levels(7, 1));
    assertEquals(List.of(16, 5), levels(16, 3));
    assertEquals(List.of(16, 4), levels(16, 2));
    // and a different merge order really changes a plain float sum (what the design avoids)
    float a = 0.1f;
    float b = 1e8f;
    float c = -1e8f;
    assertTrue((a + b) + c != a + (b + c));
  }

  /**
   * Spark's treeAggregate (RDD.scala) on {@code leaves} spread over {@code partitions} partitions
   * like parallelize does (contiguous slices): seqOp from the empty accumulator within each
   * partition, then while the partition count exceeds {@code scale + ceil(n / scale)}, the
   * partial results of partition i are combined into group {@code i % (n / scale)} in a random
   * order; the driver combines the rest in a random (completion) order. Every merge puts its
   * operands on a random side.
   */
  private static GradientAccumulator sparkShapedTree(List<GradientAccumulator> leaves,
      int partitions, int depth, Random rnd) {
    List<GradientAccumulator> level = new ArrayList<>();
    for (int i = 0; i < partitions; i++) {
      int from = (int) ((long) i * leaves.size() / partitions);
      int to = (int) ((long) (i + 1) * leaves.size() / partitions);
      GradientAccumulator acc = GradientAccumulator.empty();
      for (GradientAccumulator leaf : leaves.subList(from, to)) {
        acc = acc.merge(leaf); // seqOp: (acc, element)
      }
      level.add(acc);
    }
    int scale = scale(partitions, depth);
    int n = partitions;
    while (n > scale + ceilDiv(n, scale)) {
      n /= scale;
      List<List<GradientAccumulator>> groups = new ArrayList<>();
      for (int g = 0; g < n; g++) {
        groups.add(new ArrayList<>());
      }
      for (int i = 0; i < level.size(); i++) {
        groups.get(i % n).add(level.get(i));
      }
      List<GradientAccumulator> next = new ArrayList<>();
      for (List<GradientAccumulator> g : groups) {
        next.add(combine(g, rnd));
      }
      level = next;
    }
    return combine(level, rnd);
  }

  private static GradientAccumulator combine(List<GradientAccumulator> nodes, Random rnd) {
    List<GradientAccumulator> order = new ArrayList<>(nodes);
    Collections.shuffle(order, rnd);
    GradientAccumulator a = GradientAccumulator.empty();
    for (GradientAccumulator n : order) {
      a = rnd.nextBoolean() ? a.merge(n) : n.merge(a);
    }
    return a;
  }

  /** The partition counts of the levels Spark's treeAggregate reduces. */
  private static List<Integer> levels(int partitions, int depth) {
    List<Integer> out = new ArrayList<>(List.of(partitions));
    int scale = scale(partitions, depth);
    int n = partitions;
    while (n > scale + ceilDiv(n, scale)) {
      n /= scale;
      out.add(n);
    }
    return out;
  }

  private static int scale(int partitions, int depth) {
    return Math.max((int) Math.ceil(Math.pow(partitions, 1.0 / depth)), 2);
  }

  private static int ceilDiv(int a, int b) {
    return (a + b - 1) / b;
  }

  static void assertIdentical(GradientAccumulator expected, GradientAccumulator actual,
      String what) {
    assertEquals(expected, actual, what);
    assertEquals(expected.rows(), actual.rows(), what);
    assertEquals(Double.doubleToRawLongBits(expected.lossSum()),
        Double.doubleToRawLongBits(actual.lossSum()), what + ": loss sum");
    float[][] e = expected.decode(expected.rows());
    float[][] a = actual.decode(actual.rows());
    assertEquals(e.length, a.length, what);
    for (int t = 0; t < e.length; t++) {
      assertEquals(e[t].length, a[t].length, what);
      for (int i = 0; i < e[t].length; i++) {
        assertEquals(Float.floatToRawIntBits(e[t][i]), Float.floatToRawIntBits(a[t][i]),
            what + ": tensor " + t + " element " + i);
      }
    }
    List<BnStats> eb = expected.bnStats();
    List<BnStats> ab = actual.bnStats();
    assertEquals(BN_CHANNELS.length, eb.size(), what);
    assertEquals(eb.size(), ab.size(), what);
    for (int l = 0; l < eb.size(); l++) {
      assertEquals(eb.get(l).count(), ab.get(l).count(), what + ": BN layer " + l);
      // Arrays.equals on double[] compares doubleToLongBits: bit for bit
      assertArrayEquals(eb.get(l).mean(), ab.get(l).mean(), 0.0, what + ": BN mean " + l);
      assertTrue(java.util.Arrays.equals(eb.get(l).mean(), ab.get(l).mean()), what);
      assertTrue(java.util.Arrays.equals(eb.get(l).m2(), ab.get(l).m2()), what + ": BN M2 " + l);
      assertTrue(java.util.Arrays.equals(eb.get(l).meanAbsDev(), ab.get(l).meanAbsDev()),
          what + ": BN mean |x - mean| " + l);
    }
  }
}
