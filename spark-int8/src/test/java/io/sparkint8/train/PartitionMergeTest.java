package io.sparkint8.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.io.Output;
import io.sparkint8.kernels.spi.Int8Backend;
import io.sparkint8.nn.BnStats;
import io.sparkint8.quant.ClippingState;
import io.sparkint8.quant.Dclrs;
import io.sparkint8.quant.DsgcClipping;
import io.sparkint8.step.LayerFactors;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The statistics of a step come from every partition, and merging them in any order gives the
 * same bits: DSGC's deviation and search (and the DCLRS factor they imply), the BN batch
 * statistics and the loss, from five real partitions' leaves ({@link NetworkLeaves}).
 */
class PartitionMergeTest {
  static final int PARTITIONS = 5;
  static final double[] RATIOS = DsgcClipping.candidateRatios();

  @Test
  void dsgcDeviationAndSearchComeFromEveryPartition() {
    try (NetworkLeaves nets = new NetworkLeaves(PARTITIONS, 41)) {
      // step 0 searches (every DSGC layer), step 1 measures at the adopted ratio
      List<GradientAccumulator> leaves = nets.leaves(0);
      GradientAccumulator merged = Fixtures.fold(leaves);
      WorkerReport r = merged.report();
      assertEquals(PARTITIONS, r.addends());
      int differing = checkDsgc(leaves, r, true);
      assertTrue(differing > 0, "the merged deviation equals the lowest partition's in every "
          + "layer: it must come from all " + PARTITIONS + " partitions");

      nets.adopt(r.clippingStates());
      List<GradientAccumulator> next = nets.leaves(1);
      WorkerReport r1 = Fixtures.fold(next).report();
      assertTrue(checkDsgc(next, r1, false) > 0, "step 1: merged deviation equals partition 0's");
      List<ClippingState> before = r.clippingStates();
      List<ClippingState> after = r1.clippingStates();
      for (int i = 0; i < before.size(); i++) {
        if (before.get(i).strategy().equals("dsgc") && after.get(i).steps() > 0) {
          assertEquals(before.get(i).value(4), after.get(i).value(4), "no search at step 1: "
              + "the ratio stays, state " + i);
        }
      }
    }
  }

  /**
   * Checks the merged report against sums formed here in double from the leaves' own sums: the
   * search's ratio and deviation (searching) or the applied deviation, and the DCLRS factor.
   * Returns how many layers' merged deviation differs from the lowest partition's own.
   */
  private static int checkDsgc(List<GradientAccumulator> leaves, WorkerReport merged,
      boolean searching) {
    WorkerReport first = leaves.get(0).report();
    int states = first.strategies.length;
    int per = WorkerReport.SUMS_PER_STATE;
    List<ClippingState> mergedStates = merged.clippingStates();
    LayerFactors factors = merged.factors();
    int differing = 0;
    int dsgc = 0;
    for (int st = 0; st < states; st++) {
      if (!first.strategies[st].equals("dsgc") || first.steps[st] == 0) {
        continue; // the stem: int8 forward, no error clipping
      }
      dsgc++;
      double[] s = new double[per];
      for (GradientAccumulator leaf : leaves) {
        for (int k = 0; k < per; k++) {
          s[k] += leaf.report().leafSums[st * per + k];
        }
      }
      double expected;
      if (searching) {
        assertEquals(PARTITIONS, merged.searched[st], "state " + st);
        int r = RATIOS.length;
        int best = 0;
        double bestD = 2;
        for (int i = 0; i < r; i++) {
          double d = Int8Backend.cosineDeviation(s[3 + i], s[3 + r + i], s[3 + 2 * r]);
          if (d < bestD) {
            bestD = d;
            best = i;
          }
        }
        expected = bestD;
        assertEquals(RATIOS[best], mergedStates.get(st).value(4), "ratio of state " + st);
        assertEquals(first.steps[st] - 1, mergedStates.get(st).value(3), "last search " + st);
      } else {
        assertEquals(PARTITIONS, merged.measured[st], "state " + st);
        assertEquals(0, merged.searched[st], "state " + st);
        expected = Int8Backend.cosineDeviation(s[0], s[1], s[2]);
      }
      double got = mergedStates.get(st).value(5);
      assertEquals(expected, got, 1e-12 * Math.max(1e-3, expected), "deviation of state " + st);
      int f = indexOf(first.stateOfFactor, st);
      assertEquals(got, factors.deviation()[f], 0.0, "factor deviation of state " + st);
      assertEquals(Dclrs.defaults().factor(got), factors.lrFactor()[f], 0.0, "DCLRS " + st);
      if (Math.abs(got - first.factors().deviation()[f]) > 1e-9 * got) {
        differing++;
      }
    }
    assertEquals(3, dsgc, "the DSGC layers of " + NetworkLeaves.SPEC);
    return differing;
  }

  private static int indexOf(int[] a, int v) {
    for (int i = 0; i < a.length; i++) {
      if (a[i] == v) {
        return i;
      }
    }
    throw new AssertionError(v + " not measured");
  }

  @Test
  void bnStatisticsAndLossComeFromEveryPartition() {
    try (NetworkLeaves nets = new NetworkLeaves(PARTITIONS, 43)) {
      List<GradientAccumulator> leaves = nets.leaves(0);
      GradientAccumulator merged = Fixtures.fold(leaves);
      double loss = 0;
      for (GradientAccumulator l : leaves) {
        loss += l.lossSum();
      }
      assertEquals(loss, merged.lossSum(), 1e-12 * Math.abs(loss));
      List<BnStats> got = merged.bnStats();
      assertEquals(3, got.size());
      for (int l = 0; l < got.size(); l++) {
        // Chan's merge of the partitions' own statistics, in double
        BnStats chan = leaves.get(0).bnStats().get(l);
        for (int p = 1; p < PARTITIONS; p++) {
          chan = chan.merge(leaves.get(p).bnStats().get(l));
        }
        BnStats own = leaves.get(0).bnStats().get(l);
        assertEquals(chan.count(), got.get(l).count());
        assertNotEquals(own.count(), got.get(l).count());
        for (int c = 0; c < chan.channels(); c++) {
          String what = "BN " + l + " channel " + c;
          assertEquals(chan.mean()[c], got.get(l).mean()[c],
              1e-12 * (Math.abs(chan.mean()[c]) + Math.sqrt(chan.variance(c))), what + " mean");
          assertEquals(chan.m2()[c], got.get(l).m2()[c], 1e-10 * chan.m2()[c], what + " M2");
          assertEquals(chan.meanAbsDev()[c], got.get(l).meanAbsDev()[c],
              1e-12 * chan.meanAbsDev()[c], what + " mad");
        }
      }
    }
  }

  /**
   * A fit of one partition keeps its bits: the driver reads the partition's own BN statistics,
   * loss, clipping states and factors, unchanged by a trip through the wire format, and the fp32
   * form decodes g / rows as before.
   */
  @Test
  void onePartitionIsUsedAsItComputedIt() {
    try (NetworkLeaves nets = new NetworkLeaves(1, 59)) {
      List<io.sparkint8.nn.StepResult> results = nets.steps(0);
      io.sparkint8.nn.StepResult r = results.get(0);
      float[][] g = new float[r.gradients().length][];
      for (int t = 0; t < g.length; t++) {
        g[t] = r.gradients()[t].clone();
      }
      GradientAccumulator leaf = GradientAccumulator.ofFp32(r, 0, 0, null);
      GradientAccumulator back = AccumulatorSizeTest.roundTrip(leaf);
      for (GradientAccumulator a : List.of(leaf, back)) {
        assertSameBits(r.bnStats(), a.bnStats());
        assertEquals(r.lossSum(), a.lossSum(), 0.0);
        // sent as a sum over rows, reported as the row-weighted mean
        assertEquals(r.rectificationLoss() / r.rows(), a.rectificationLoss(), 0.0);
        float[][] decoded = a.decode(r.rows());
        for (int t = 0; t < g.length; t++) {
          for (int i = 0; i < g[t].length; i++) {
            assertEquals((float) (g[t][i] / (double) r.rows()), decoded[t][i], 0f);
          }
        }
      }
      GradientAccumulator int8 = nets.leaves(1).get(0);
      WorkerReport own = int8.report();
      WorkerReport read = AccumulatorSizeTest.roundTrip(int8).report();
      assertEquals(own, read);
      assertEquals(own.factors, read.factors());
      for (int i = 0; i < own.strategies.length; i++) {
        assertArrayEquals(own.values[i], read.clippingStates().get(i).values(), 0.0);
      }
    }
  }

  @Test
  void everyMergeOrderOfFivePartitionsGivesTheSameBits() {
    try (NetworkLeaves nets = new NetworkLeaves(PARTITIONS, 47)) {
      for (List<GradientAccumulator> leaves : List.of(nets.leaves(0), nets.fp32Leaves(1))) {
        GradientAccumulator reference = Fixtures.fold(leaves);
        byte[] bytes = serialize(reference);
        List<List<GradientAccumulator>> orders = new ArrayList<>();
        permutations(new ArrayList<>(leaves), 0, orders);
        assertEquals(120, orders.size());
        Random rnd = new Random(7);
        for (List<GradientAccumulator> order : orders) {
          // a left fold in this order, and a tree with random pairings and sides
          for (GradientAccumulator a : List.of(Fixtures.fold(order), tree(order, rnd))) {
            assertEquals(reference, a, "order " + order);
            assertArrayEquals(bytes, serialize(a), "serialized bits, order " + order);
            assertEquals(reference.report().clippingStates(), a.report().clippingStates());
            assertEquals(reference.report().factors(), a.report().factors());
            assertSameBits(reference.bnStats(), a.bnStats());
            float[][] g = a.decode(a.rows());
            float[][] e = reference.decode(reference.rows());
            for (int t = 0; t < g.length; t++) {
              assertArrayEquals(e[t], g[t], 0f, "tensor " + t);
            }
          }
        }
      }
    }
  }

  private static void assertSameBits(List<BnStats> expected, List<BnStats> actual) {
    assertEquals(expected.size(), actual.size());
    for (int l = 0; l < expected.size(); l++) {
      BnStats e = expected.get(l);
      BnStats a = actual.get(l);
      assertEquals(e.count(), a.count(), "BN " + l);
      assertArrayEquals(e.mean(), a.mean(), 0.0, "BN " + l + " mean");
      assertArrayEquals(e.m2(), a.m2(), 0.0, "BN " + l + " M2");
      assertArrayEquals(e.meanAbsDev(), a.meanAbsDev(), 0.0, "BN " + l + " mad");
    }
  }

  private static void permutations(List<GradientAccumulator> a, int k,
      List<List<GradientAccumulator>> out) {
    if (k == a.size()) {
      out.add(new ArrayList<>(a));
      return;
    }
    for (int i = k; i < a.size(); i++) {
      Collections.swap(a, k, i);
      permutations(a, k + 1, out);
      Collections.swap(a, k, i);
    }
  }

  /** Random pairs merged on random sides until one node is left. */
  private static GradientAccumulator tree(List<GradientAccumulator> nodes, Random rnd) {
    List<GradientAccumulator> level = new ArrayList<>(nodes);
    while (level.size() > 1) {
      int i = rnd.nextInt(level.size() - 1);
      GradientAccumulator a = level.remove(i);
      GradientAccumulator b = level.remove(i);
      level.add(i, rnd.nextBoolean() ? a.merge(b) : b.merge(a));
    }
    return level.get(0);
  }

  static byte[] serialize(GradientAccumulator a) {
    Kryo kryo = new Kryo();
    kryo.setRegistrationRequired(true);
    kryo.setReferences(false);
    GradientAccumulatorSerializer.register(kryo);
    Output out = new Output(1 << 12, -1);
    kryo.writeObject(out, a);
    return out.toBytes();
  }
}
