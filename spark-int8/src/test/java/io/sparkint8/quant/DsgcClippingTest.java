package io.sparkint8.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkint8.kernels.memory.Float32Buffer;
import io.sparkint8.kernels.memory.OffHeapAllocator;
import io.sparkint8.kernels.spi.Int8Backend;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** DSGC's search, its schedule, and the deviation it reports. */
class DsgcClippingTest {
  private static final int N = 65536;

  private OffHeapAllocator alloc;

  static List<Int8Backend> backends() {
    return TestBackends.all();
  }

  @BeforeEach
  void open() {
    alloc = new OffHeapAllocator("dsgc-test");
  }

  @AfterEach
  void close() {
    alloc.close();
  }

  private double deviationAt(Int8Backend be, Float32Buffer g, int bits, float clip) {
    return be.clipCosineDeviation(g, g.length(), bits, new float[] {clip})[0];
  }

  /**
   * The cosine sums of the parts of a tensor add up to the sums of the whole, so partitions that
   * add their sums get the deviation of the concatenated error; and a search's stats carry sums
   * whose best ratio ({@link DsgcClipping#bestRatio}) is the one the search chose.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("backends")
  void sumsOfThePartsGiveTheDeviationOfTheWhole(Int8Backend be) {
    float[] x = Synthetic.studentT(31, N, 3);
    int half = N / 2 + 17;
    float[] clips = {2f, 5f, 9f};
    try (Float32Buffer whole = alloc.float32Of(x);
        Float32Buffer a = alloc.float32Of(java.util.Arrays.copyOfRange(x, 0, half));
        Float32Buffer b = alloc.float32Of(java.util.Arrays.copyOfRange(x, half, N))) {
      double[] w = be.clipCosineSums(whole, N, 4, clips);
      double[] sa = be.clipCosineSums(a, half, 4, clips);
      double[] sb = be.clipCosineSums(b, N - half, 4, clips);
      assertEquals(2 * clips.length + 1, w.length);
      double[] dev = be.clipCosineDeviation(whole, N, 4, clips);
      for (int i = 0; i < w.length; i++) {
        assertEquals(w[i], sa[i] + sb[i], 1e-12 * Math.abs(w[i]), "sum " + i);
      }
      int n = clips.length;
      for (int i = 0; i < n; i++) {
        assertEquals(dev[i], Int8Backend.cosineDeviation(w[i], w[n + i], w[2 * n]), 0.0);
        double merged = Int8Backend.cosineDeviation(sa[i] + sb[i], sa[n + i] + sb[n + i],
            sa[2 * n] + sb[2 * n]);
        assertEquals(dev[i], merged, 1e-12, "clip " + clips[i]);
      }
      ClipStats st = new DsgcClipping(4).update(be, alloc, whole, 256, 256);
      assertEquals(2 * DsgcClipping.candidateRatios().length + 1, st.searchSums().length);
      int best = DsgcClipping.bestRatio(st.searchSums());
      assertEquals(st.ratio(), DsgcClipping.candidateRatios()[best], 0.0);
      assertEquals(st.deviation(), DsgcClipping.deviation(st.searchSums(), best), 0.0);
      assertEquals(3, st.appliedSums().length);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("backends")
  void heavyTailsGetAClipBelowTheMax(Int8Backend be) {
    long seed = 21;
    float[] laplace = Synthetic.laplaceWithSpikes(seed, N, 1.0, 0.001, 20);
    float[] studentT = Synthetic.studentT(seed + 1, N, 3);
    // at 8 bits, spikes of 20..40 carry enough energy that clipping them barely pays (r = 0.9 or
    // 1.0
    // over seeds), while Student-t(3) gains 10-25 %; at 4 bits both gain by half or more
    float[][][] cases = {{studentT}, {laplace, studentT}};
    int[] bitsOf = {8, 4};
    for (int k = 0; k < bitsOf.length; k++) {
      int bits = bitsOf[k];
      for (float[] x : cases[k]) {
        try (Float32Buffer g = alloc.float32Of(x)) {
          DsgcClipping dsgc = new DsgcClipping(bits);
          ClipStats s = dsgc.update(be, alloc, g, 256, 256);
          String why = "bits " + bits + " " + s + ", seed " + seed;
          assertTrue(s.ratio() < 1.0, why);
          assertTrue(s.clip() < s.max(), why);
          assertEquals((float) (s.ratio() * s.max()), s.clip(), 0f, why);
          // it is the argmin: better than no clipping and than every other candidate
          assertEquals(deviationAt(be, g, bits, s.clip()), s.deviation(), 0.0, why);
          for (double r : DsgcClipping.candidateRatios()) {
            assertTrue(
                s.deviation() <= deviationAt(be, g, bits, (float) (r * s.max())), why + " r=" + r);
          }
          assertTrue(s.deviation() < deviationAt(be, g, bits, s.max()), why);
        }
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("backends")
  void uniformDataKeepsTheMax(Int8Backend be) {
    long seed = 22;
    try (Float32Buffer g = alloc.float32Of(Synthetic.uniform(seed, N, 0.01))) {
      ClipStats s = new DsgcClipping(8).update(be, alloc, g, 512, 128);
      assertEquals(1.0, s.ratio(), s + ", seed " + seed);
      assertEquals(s.max(), s.clip(), 0f, s + ", seed " + seed);
      assertTrue(s.deviation() > 0 && s.deviation() < 1e-4, s + ", seed " + seed);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("backends")
  void searchesEveryIntervalAndAppliesTheKeptRatioToTheCurrentMax(Int8Backend be) {
    long seed = 23;
    DsgcClipping dsgc = new DsgcClipping(8, 3, true);
    float[] uniform = Synthetic.uniform(seed, N, 1.0);
    float[] heavy = Synthetic.studentT(seed + 1, N, 3);
    float[] heavyScaled = new float[N];
    for (int i = 0; i < N; i++) {
      heavyScaled[i] = 0.5f * heavy[i];
    }
    try (Float32Buffer u = alloc.float32Of(uniform);
        Float32Buffer h = alloc.float32Of(heavy);
        Float32Buffer h2 = alloc.float32Of(heavyScaled)) {
      ClipStats s0 = dsgc.update(be, alloc, u, 256, 256); // search: r = 1
      assertEquals(0, dsgc.lastSearchStep());
      assertEquals(1.0, s0.ratio(), s0.toString());

      ClipStats s1 = dsgc.update(be, alloc, h, 256, 256); // no search: r stays 1 on heavy tails
      assertEquals(0, dsgc.lastSearchStep());
      assertEquals(1.0, s1.ratio(), s1.toString());
      assertEquals(s1.max(), s1.clip(), 0f);
      assertEquals(deviationAt(be, h, 8, s1.clip()), s1.deviation(), 0.0, "measured every step");

      dsgc.update(be, alloc, h, 256, 256);
      ClipStats s3 = dsgc.update(be, alloc, h, 256, 256); // step 3: search
      assertEquals(3, dsgc.lastSearchStep());
      assertEquals(3, s3.step());
      double r = s3.ratio();
      assertTrue(r < 1.0, s3 + ", seed " + seed);

      ClipStats s4 = dsgc.update(be, alloc, h2, 256, 256); // kept r, current (halved) max
      assertEquals(3, dsgc.lastSearchStep());
      assertEquals(r, s4.ratio());
      assertEquals(0.5f * s3.max(), s4.max(), 0f);
      assertEquals((float) (r * s4.max()), s4.clip(), 0f, s4.toString());
      assertEquals(5, dsgc.steps());
      assertEquals(s4, dsgc.lastStats());
    }
  }

  @Test
  void withoutPerStepMeasurementTheSearchDeviationIsKept() {
    Int8Backend be = TestBackends.all().get(0);
    long seed = 24;
    DsgcClipping dsgc = new DsgcClipping(6, 100, false);
    try (Float32Buffer a = alloc.float32Of(Synthetic.gaussian(seed, 4096, 1.0));
        Float32Buffer b = alloc.float32Of(Synthetic.studentT(seed, 4096, 2))) {
      double d0 = dsgc.update(be, alloc, a, 64, 64).deviation();
      ClipStats s1 = dsgc.update(be, alloc, b, 64, 64);
      assertEquals(d0, s1.deviation(), 0.0);
      assertTrue(Math.abs(deviationAt(be, b, 6, s1.clip()) - d0) > 1e-6, "data did change");
    }
  }

  @Test
  void zeroGradientGivesClipZeroAndDefersTheSearch() {
    Int8Backend be = TestBackends.all().get(0);
    DsgcClipping dsgc = new DsgcClipping(8, 10, true);
    try (Float32Buffer zero = alloc.allocateFloat32(64);
        Float32Buffer g = alloc.float32Of(Synthetic.studentT(25, 64, 3))) {
      ClipStats s = dsgc.update(be, alloc, zero, 8, 8);
      assertEquals(0f, s.clip());
      assertTrue(Double.isNaN(s.deviation()));
      assertEquals(-1, dsgc.lastSearchStep());
      dsgc.update(be, alloc, g, 8, 8);
      assertEquals(1, dsgc.lastSearchStep());
    }
  }

  @Test
  void nonFiniteGradientIsRejectedAndLeavesTheStateAlone() {
    Int8Backend be = TestBackends.all().get(0);
    DsgcClipping dsgc = new DsgcClipping(8);
    try (Float32Buffer g = alloc.float32Of(1f, Float.NaN, 2f, 3f)) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> dsgc.update(be, alloc, g, 2, 2));
      assertTrue(e.getMessage().contains("NaN"), e.getMessage());
      assertEquals(0, dsgc.steps());
    }
  }

  @Test
  void invalidSettingsNameTheValue() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> new DsgcClipping(8, 0, true));
    assertTrue(e.getMessage().contains("clipUpdateInterval=0"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new DsgcClipping(9));
    assertTrue(e.getMessage().contains("bits=9"), e.getMessage());
  }
}
