package io.sparkint8.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkint8.kernels.memory.Float32Buffer;
import io.sparkint8.kernels.memory.OffHeapAllocator;
import io.sparkint8.kernels.spi.Int8Backend;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A strategy restored from a snapshot continues exactly as the uninterrupted one, and a snapshot
 * from another strategy or configuration is refused without touching the state.
 */
class ClippingStateTest {
  private static final long SEED = 41;
  private static final int ROWS = 2048;
  private static final int COLS = 16;
  private static final int STEPS = 10;
  private static final int SPLIT = 5;

  private OffHeapAllocator alloc;

  @BeforeEach
  void open() {
    alloc = new OffHeapAllocator("clipping-state-test");
  }

  @AfterEach
  void close() {
    alloc.close();
  }

  static Stream<Arguments> cases() {
    List<Arguments> out = new ArrayList<>();
    for (Int8Backend be : TestBackends.all()) {
      out.add(Arguments.of(be, "max", (Supplier<ClippingStrategy>) MaxClipping::new));
      // 4 bits and a search every 3 updates: searches fall before and after the split
      out.add(Arguments.of(be, "dsgc",
          (Supplier<ClippingStrategy>) () -> new DsgcClipping(4, 3, true)));
      // without per-step deviation, the reported deviation is the carried one
      out.add(Arguments.of(be, "dsgc-search-deviation",
          (Supplier<ClippingStrategy>) () -> new DsgcClipping(4, 3, false)));
      out.add(Arguments.of(be, "mcs", (Supplier<ClippingStrategy>) McsClipping::new));
    }
    return out.stream();
  }

  /**
   * Gradients whose shape changes at the split: odd columns are spiky Laplace throughout (MCS
   * averages their clips), even ones Student-t before the split and uniform after it (the tensor's
   * tails shrink, so a DSGC search on the new shape picks another ratio). A strategy that forgot
   * its state would search or average afresh and pick other clips.
   */
  private static float[][] gradients() {
    SplittableRandom r = new SplittableRandom(SEED);
    float[][] g = new float[STEPS][ROWS * COLS];
    for (int s = 0; s < STEPS; s++) {
      for (int i = 0; i < ROWS; i++) {
        for (int c = 0; c < COLS; c++) {
          double v;
          if (c % 2 == 0) {
            v = s >= SPLIT ? 2 * r.nextDouble() - 1 : Synthetic.studentT(r, 3);
          } else {
            v = Synthetic.laplace(r, 1.0);
            if (r.nextDouble() < 0.003) {
              v = (r.nextBoolean() ? 1 : -1) * (20 + 30 * r.nextDouble());
            }
          }
          g[s][i * COLS + c] = (float) (1e-3 * (1 + c) * v);
        }
      }
    }
    return g;
  }

  private List<ClipStats> run(Int8Backend be, ClippingStrategy s, float[][] g, int from, int to) {
    List<ClipStats> out = new ArrayList<>();
    for (int step = from; step < to; step++) {
      try (Float32Buffer b = alloc.float32Of(g[step])) {
        out.add(s.update(be, alloc, b, ROWS, COLS));
      }
    }
    return out;
  }

  @ParameterizedTest(name = "{1} on {0}")
  @MethodSource("cases")
  void restoredStrategyContinuesBitIdentically(
      Int8Backend be, String label, Supplier<ClippingStrategy> make) {
    float[][] g = gradients();
    ClippingStrategy uninterrupted = make.get();
    List<ClipStats> expected = run(be, uninterrupted, g, 0, STEPS).subList(SPLIT, STEPS);

    ClippingStrategy first = make.get();
    run(be, first, g, 0, SPLIT);
    ClippingState snapshot = first.exportState();
    assertEquals(SPLIT, snapshot.steps(), label);
    ClippingStrategy restored = make.get();
    restored.importState(snapshot);
    assertEquals(snapshot, restored.exportState(), label + ": export after import");
    assertNull(restored.lastStats(), label);
    List<ClipStats> resumed = run(be, restored, g, SPLIT, STEPS);
    // ClipStats equality is exact: step, clips, max, deviation, ratio and channel classes
    assertEquals(expected, resumed, label + ", seed " + SEED);
    assertEquals(uninterrupted.exportState(), restored.exportState(), label);

    // the guard: without the snapshot the same updates give other stats (at least the step
    // numbers; for dsgc and mcs also the clips), so the comparison above can fail
    List<ClipStats> fresh = run(be, make.get(), g, SPLIT, STEPS);
    assertNotEquals(expected, fresh, label);
    if (!label.equals("max")) {
      boolean clipsDiffer = false;
      for (int i = 0; i < expected.size(); i++) {
        clipsDiffer |= !java.util.Arrays.equals(expected.get(i).clips(), fresh.get(i).clips());
      }
      assertTrue(clipsDiffer, label + ": a fresh strategy gives the same clips, seed " + SEED);
    }
  }

  @Test
  void stateOfAnotherStrategyIsRefused() {
    ClippingState dsgc = new DsgcClipping(8).exportState();
    McsClipping mcs = new McsClipping();
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> mcs.importState(dsgc));
    assertTrue(e.getMessage().contains("'dsgc'"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new MaxClipping().importState(null));
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> new MaxClipping().importState(new ClippingState("max", 3, new double[] {1})));
    assertTrue(e.getMessage().contains("1 values, expected 0"), e.getMessage());
  }

  @Test
  void dsgcStateFromAnotherConfigurationOrInvalidIsRefusedAndChangesNothing() {
    DsgcClipping target = new DsgcClipping(8, 100, true);
    ClippingState before = target.exportState();
    double[] good = {8, 100, 1, 3, 0.7, 0.01};
    target.importState(new ClippingState("dsgc", 5, good)); // the baseline is accepted
    assertEquals(0.7, target.ratio());
    assertEquals(3, target.lastSearchStep());
    target.reset();
    String[][] bad = {
      {"bits", "4"}, {"clipUpdateInterval", "50"}, {"deviationEveryStep", "0"},
      {"lastSearchStep", "5"}, {"lastSearchStep", "2.5"}, {"lastSearchStep", "-2"},
      {"ratio", "0.75"}, {"deviation", "-0.5"}, {"deviation", "Infinity"}
    };
    List<String> names =
        List.of("bits", "clipUpdateInterval", "deviationEveryStep", "lastSearchStep", "ratio",
            "deviation");
    for (String[] b : bad) {
      double[] v = good.clone();
      v[names.indexOf(b[0])] = Double.parseDouble(b[1]);
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class,
              () -> target.importState(new ClippingState("dsgc", 5, v)),
              b[0] + "=" + b[1]);
      assertTrue(e.getMessage().contains(b[0]), e.getMessage());
      assertEquals(before, target.exportState(), b[0] + "=" + b[1] + " changed the state");
    }
    assertThrows(
        IllegalArgumentException.class,
        () -> target.importState(new ClippingState("dsgc", 5, new double[] {8, 100, 1})));
  }

  @Test
  void mcsStateFromAnotherConfigurationOrInvalidIsRefusedAndChangesNothing() {
    McsClipping target = new McsClipping();
    ClippingState before = target.exportState();
    double[] good = {0.3, 1.0, 0.8, 0.5, 0.25};
    target.importState(new ClippingState("mcs", 2, good));
    assertEquals(new ClippingState("mcs", 2, good), target.exportState());
    target.reset();
    Object[][] bad = {
      {new ClippingState("mcs", 2, new double[] {0.4, 1.0, 0.8, 0.5}), "lambda"},
      {new ClippingState("mcs", 2, new double[] {0.3, 0.5, 0.8, 0.5}), "k"},
      {new ClippingState("mcs", 2, new double[] {0.3, 1.0, 0.7, 0.5}), "A"},
      {new ClippingState("mcs", 2, new double[] {0.3, 1.0, 0.8, Double.NaN}), "channel 0"},
      {new ClippingState("mcs", 2, new double[] {0.3, 1.0, 0.8, 1, -1}), "channel 1"},
      {new ClippingState("mcs", 2, new double[] {0.3, 1.0, 0.8, 0.1}), "finite float"},
      {new ClippingState("mcs", 2, new double[] {0.3, 1.0, 0.8}), "0 channel clips"},
      {new ClippingState("mcs", 0, good), "after 0 steps"},
      {new ClippingState("mcs", 2, new double[] {0.3}), "expected at least 3"},
    };
    for (Object[] b : bad) {
      ClippingState s = (ClippingState) b[0];
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> target.importState(s), s.toString());
      assertTrue(e.getMessage().contains((String) b[1]), e.getMessage());
      assertEquals(before, target.exportState(), b[1] + " changed the state");
    }
  }

  @Test
  void snapshotsAreImmutableAndValidated() {
    double[] v = {1, 2};
    ClippingState s = new ClippingState("x", 1, v);
    v[0] = 9;
    s.values()[1] = 9;
    assertEquals(new ClippingState("x", 1, new double[] {1, 2}), s);
    assertThrows(IllegalArgumentException.class, () -> new ClippingState("x", -1, v));
    assertThrows(NullPointerException.class, () -> new ClippingState(null, 1, v));
    // NaN (an unknown deviation) equals itself, so a restored DSGC compares equal
    assertEquals(
        new ClippingState("dsgc", 0, new double[] {Double.NaN}),
        new ClippingState("dsgc", 0, new double[] {Double.NaN}));
  }
}
