package io.sparkint8.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkint8.kernels.memory.Float32Buffer;
import io.sparkint8.kernels.memory.OffHeapAllocator;
import io.sparkint8.kernels.ref.JavaBackend;
import io.sparkint8.kernels.spi.Int8Backend;
import io.sparkint8.kernels.spi.Rounding;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Properties of {@link Quantizer} and {@link QTensor} on every backend. */
class QuantizerTest {
  private static final int ROWS = 37;
  private static final int COLS = 23; // odd sizes: groups of 5 leave a short last group

  private OffHeapAllocator alloc;

  static List<Int8Backend> backends() {
    return TestBackends.all();
  }

  /** Every granularity, with and without power-of-two scales, at {@code bits}. */
  static List<QuantizerConfig> configs(int bits, Rounding rounding) {
    List<QuantizerConfig> out = new ArrayList<>();
    for (QuantGranularity g : QuantGranularity.values()) {
      for (boolean pow2 : new boolean[] {false, true}) {
        out.add(new QuantizerConfig(bits, g, g == QuantGranularity.GROUP ? 5 : 0, pow2, rounding));
      }
    }
    return out;
  }

  /**
   * The scale index of logical element (r, c), written out independently of the code under test.
   */
  static int groupOf(QuantizerConfig cfg, int cols, int r, int c) {
    switch (cfg.granularity()) {
      case PER_TENSOR:
        return 0;
      case PER_ROW:
        return r;
      case PER_COLUMN:
        return c;
      default:
        int perRow = (cols + cfg.groupSize() - 1) / cfg.groupSize();
        return r * perRow + c / cfg.groupSize();
    }
  }

  static float[] groupMax(QuantizerConfig cfg, float[] x, int rows, int cols) {
    float[] m = new float[cfg.groups(rows, cols)];
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < cols; c++) {
        int g = groupOf(cfg, cols, r, c);
        m[g] = Math.max(m[g], Math.abs(x[r * cols + c]));
      }
    }
    return m;
  }

  static float smallestPow2AtLeast(float v) {
    float p = Math.scalb(1f, Math.getExponent(v));
    return p < v ? 2 * p : p;
  }

  @BeforeEach
  void open() {
    alloc = new OffHeapAllocator("quantizer-test");
  }

  @AfterEach
  void close() {
    alloc.close(); // throws if a test leaked a buffer
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("backends")
  void codesStayWithinQmaxAndReachIt(Int8Backend be) {
    long seed = 11;
    float[] x = Synthetic.gaussian(seed, ROWS * COLS, 3.0);
    try (Float32Buffer src = alloc.float32Of(x)) {
      for (int bits = 2; bits <= 8; bits++) {
        for (Rounding rounding : Rounding.values()) {
          for (QuantizerConfig cfg : configs(bits, rounding)) {
            try (QTensor q = new Quantizer(cfg, be).quantize(alloc, src, ROWS, COLS, null, 7, 3)) {
              int qmax = cfg.qmax();
              byte[] codes = q.codes().toArray();
              int atMax = 0;
              for (byte code : codes) {
                assertTrue(Math.abs(code) <= qmax, cfg + " code " + code + ", seed " + seed);
                atMax += Math.abs(code) == qmax ? 1 : 0;
              }
              if (!cfg.pow2Scales()) {
                // each group's max element maps to ±qmax (a power-of-two range may not reach it)
                assertTrue(
                    atMax >= q.groups(), cfg + ": " + atMax + " codes at ±qmax, seed " + seed);
              }
            }
          }
        }
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("backends")
  void nearestRoundingErrsByAtMostHalfAStep(Int8Backend be) {
    long seed = 12;
    float[] x = Synthetic.gaussian(seed, ROWS * COLS, 0.5);
    try (Float32Buffer src = alloc.float32Of(x)) {
      for (int bits : new int[] {8, 4, 2}) {
        for (QuantizerConfig cfg : configs(bits, Rounding.NEAREST)) {
          try (QTensor q = new Quantizer(cfg, be).quantize(alloc, src, ROWS, COLS);
              Float32Buffer back = q.dequantize(be, alloc)) {
            float[] xh = back.toArray();
            float[] scales = q.scalesArray();
            for (int r = 0; r < ROWS; r++) {
              for (int c = 0; c < COLS; c++) {
                int e = r * COLS + c;
                float step = scales[groupOf(cfg, COLS, r, c)];
                float err = Math.abs(x[e] - xh[e]);
                // half a step, plus float rounding of x * inv and q * scale
                float bound = 0.5f * step * (1 + 1e-5f) + 2 * Math.ulp(Math.abs(x[e]));
                assertTrue(
                    err <= bound,
                    cfg + " (" + r + "," + c + ") x=" + x[e] + " xhat=" + xh[e] + " step=" + step
                        + ", seed " + seed);
                assertEquals(q.code(r, c) * step, xh[e], 0f, cfg + " layout, seed " + seed);
              }
            }
          }
        }
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("backends")
  void scalesMatchTheConfiguration(Int8Backend be) {
    long seed = 13;
    float[] x = Synthetic.laplaceWithSpikes(seed, ROWS * COLS, 1.0, 0.01, 10);
    try (Float32Buffer src = alloc.float32Of(x)) {
      for (int bits : new int[] {8, 5, 3}) {
        for (QuantizerConfig cfg : configs(bits, Rounding.NEAREST)) {
          try (QTensor q = new Quantizer(cfg, be).quantize(alloc, src, ROWS, COLS)) {
            float[] max = groupMax(cfg, x, ROWS, COLS);
            assertEquals(cfg.groups(ROWS, COLS), q.groups(), cfg.toString());
            assertEquals(bits, q.bits());
            assertEquals(cfg.granularity(), q.granularity());
            for (int g = 0; g < max.length; g++) {
              float s = cfg.pow2Scales() ? smallestPow2AtLeast(max[g]) : max[g];
              assertEquals(
                  s / (float) cfg.qmax(), q.scale(g), 0f, cfg + " group " + g + ", seed " + seed);
            }
          }
        }
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("backends")
  void shiftQuantGroupScalesArePowersOfTwoOverQmax(Int8Backend be) {
    long seed = 14;
    int rows = 16;
    int cols = 256;
    float[] x = Synthetic.gaussian(seed, rows * cols, 0.01);
    for (int bits = 4; bits <= 7; bits++) {
      QuantizerConfig cfg = QuantizerConfig.shiftQuant(bits, 64);
      try (Float32Buffer src = alloc.float32Of(x);
          QTensor q = new Quantizer(cfg, be).quantize(alloc, src, rows, cols, null, seed, 1)) {
        assertEquals(rows * 4, q.groups());
        float[] max = groupMax(cfg, x, rows, cols);
        for (int g = 0; g < q.groups(); g++) {
          float range = q.scale(g) * cfg.qmax();
          float p =
              Math.scalb(1f, Math.getExponent(range + range * 1e-4f)); // undo s / qmax rounding
          assertEquals(p / (float) cfg.qmax(), q.scale(g), 0f, "bits " + bits + " group " + g);
          assertTrue(p >= max[g] && p < 2 * max[g], "pow2 " + p + " for max " + max[g]);
        }
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("backends")
  void perColumnClipIsHonoured(Int8Backend be) {
    long seed = 15;
    int rows = 50;
    int cols = 6;
    float[] x = Synthetic.gaussian(seed, rows * cols, 1.0);
    float[] clip = {0.5f, 1f, 1.5f, 0.25f, 10f, 0.75f};
    QuantizerConfig cfg = QuantizerConfig.perColumn(8);
    try (Float32Buffer src = alloc.float32Of(x);
        QTensor q = new Quantizer(cfg, be).quantize(alloc, src, rows, cols, clip, 0, 0);
        Float32Buffer back = q.dequantize(be, alloc)) {
      assertTrue(q.codesTransposed());
      float[] xh = back.toArray();
      int saturated = 0;
      for (int c = 0; c < cols; c++) {
        assertEquals(clip[c] / 127f, q.scale(c), 0f, "column " + c);
        for (int r = 0; r < rows; r++) {
          float v = x[r * cols + c];
          float vh = xh[r * cols + c];
          assertTrue(
              Math.abs(vh) <= clip[c] * (1 + 1e-6f), "col " + c + " " + vh + ", seed " + seed);
          if (Math.abs(v) >= clip[c]) {
            assertEquals(v > 0 ? 127 : -127, q.code(r, c), "saturated (" + r + "," + c + ")");
            saturated++;
          } else {
            assertEquals(v, vh, 0.5f * q.scale(c) * 1.0001f, "(" + r + "," + c + "), seed " + seed);
          }
        }
      }
      assertTrue(saturated > 10, "the clips must bite: " + saturated + " saturated, seed " + seed);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("backends")
  void perTensorAndPerRowClipsAreHonoured(Int8Backend be) {
    float[] x = {-10f, -3f, 0f, 1f, 3f, 10f};
    try (Float32Buffer src = alloc.float32Of(x);
        QTensor t =
            new Quantizer(QuantizerConfig.perTensor(4), be)
                .quantize(alloc, src, 2, 3, new float[] {3f}, 0, 0);
        QTensor r =
            new Quantizer(QuantizerConfig.perRow(4), be)
                .quantize(alloc, src, 2, 3, new float[] {3f, 7f}, 0, 0)) {
      // qmax 7: 1 * 7/3 = 2.33 -> 2; with clip 7 the second row maps 1:1
      assertArrayEquals(new byte[] {-7, -7, 0, 2, 7, 7}, t.codes().toArray());
      assertArrayEquals(new byte[] {-7, -7, 0, 1, 3, 7}, r.codes().toArray());
      assertArrayEquals(new float[] {3f / 7f, 1f}, r.scalesArray());
    }
  }

  @Test
  void wrongClipCountNamesTheExpectedCount() {
    Quantizer q = new Quantizer(QuantizerConfig.perColumn(8), new JavaBackend());
    try (Float32Buffer src = alloc.allocateFloat32(12)) {
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class,
              () -> q.quantize(alloc, src, 3, 4, new float[] {1f, 2f}, 0, 0));
      assertTrue(e.getMessage().contains("2 clip values, expected 4"), e.getMessage());
      assertThrows(IllegalArgumentException.class, () -> q.quantize(alloc, src, 4, 4));
    }
    assertEquals(0, alloc.openBuffers(), "a failed quantize must not leak");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("backends")
  void stochasticRoundingIsReproducibleAndUnbiased(Int8Backend be) {
    int n = 4096;
    float[] x = new float[n + 1];
    Arrays.fill(x, 0.3f);
    x[n] = 127f; // per-tensor max 127: one step is 1, so 0.3 rounds to 1 with probability 0.3
    QuantizerConfig cfg = QuantizerConfig.perTensor(8).withRounding(Rounding.STOCHASTIC);
    Quantizer quantizer = new Quantizer(cfg, be);
    try (Float32Buffer src = alloc.float32Of(x);
        QTensor a = quantizer.quantize(alloc, src, 1, n + 1, null, 42, 5);
        QTensor b = quantizer.quantize(alloc, src, 1, n + 1, null, 42, 5);
        QTensor c = quantizer.quantize(alloc, src, 1, n + 1, null, 42, 6)) {
      assertArrayEquals(a.codes().toArray(), b.codes().toArray(), "same seed and stream");
      assertFalse(Arrays.equals(a.codes().toArray(), c.codes().toArray()), "another stream");
      double mean = 0;
      for (int i = 0; i < n; i++) {
        byte q = a.code(0, i);
        assertTrue(q == 0 || q == 1, "code " + q);
        mean += q;
      }
      mean /= n;
      // binomial sd = sqrt(0.21 / 4096) = 0.0072: five sd
      assertEquals(0.3, mean, 0.036, "E[SR(x)] = x, seed 42 stream 5");
    }
  }

  @Test
  void javaAndNativeGiveIdenticalTensors() {
    Int8Backend nat = TestBackends.nativeOrNull();
    org.junit.jupiter.api.Assumptions.assumeTrue(nat != null, "native backend unavailable");
    Int8Backend java = new JavaBackend();
    long seed = 16;
    float[] x = Synthetic.studentT(seed, ROWS * COLS, 3);
    try (Float32Buffer src = alloc.float32Of(x)) {
      for (int bits : new int[] {8, 6, 4}) {
        for (Rounding rounding : Rounding.values()) {
          for (QuantizerConfig cfg : configs(bits, rounding)) {
            try (QTensor a = new Quantizer(cfg, java).quantize(alloc, src, ROWS, COLS, null, 9, 2);
                QTensor b = new Quantizer(cfg, nat).quantize(alloc, src, ROWS, COLS, null, 9, 2)) {
              assertArrayEquals(a.codes().toArray(), b.codes().toArray(), cfg + ", seed " + seed);
              assertArrayEquals(a.scalesArray(), b.scalesArray(), cfg + ", seed " + seed);
            }
          }
        }
      }
    }
  }

  @Test
  void quantizeIntoReusesATensorOfTheSameConfigOnly() {
    Int8Backend be = new JavaBackend();
    Quantizer q = new Quantizer(QuantizerConfig.perRow(8), be);
    try (Float32Buffer src = alloc.float32Of(1f, -2f, 4f, 8f);
        QTensor dst = QTensor.allocate(alloc, QuantizerConfig.perRow(8), 2, 2);
        QTensor other = QTensor.allocate(alloc, QuantizerConfig.perTensor(8), 2, 2)) {
      q.quantizeInto(alloc, src, null, 0, 0, dst);
      assertArrayEquals(new byte[] {64, -127, 64, 127}, dst.codes().toArray());
      assertArrayEquals(new float[] {2f / 127, 8f / 127}, dst.scalesArray());
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class, () -> q.quantizeInto(alloc, src, null, 0, 0, other));
      assertTrue(e.getMessage().contains("PER_TENSOR"), e.getMessage());
    }
  }

  @Test
  void closingATensorFreesItsBuffersAndLaterUseThrows() {
    QTensor t = QTensor.allocate(alloc, QuantizerConfig.shiftQuant(4, 32), 3, 70);
    assertEquals(9, t.groups());
    assertNotEquals(0, alloc.openBuffers());
    t.close();
    t.close(); // idempotent
    assertTrue(t.isClosed());
    assertEquals(0, alloc.openBuffers());
    assertThrows(IllegalStateException.class, () -> t.scale(0));
    assertThrows(IllegalStateException.class, () -> t.code(0, 0));
  }

  @Test
  void wrappingBuffersOfTheWrongSizeIsRejected() {
    try (var codes = alloc.allocateInt8(6);
        var scales = alloc.allocateFloat32(3)) {
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class,
              () -> new QTensor(QuantizerConfig.perRow(8), 3, 2, codes, scales.slice(0, 2)));
      assertTrue(e.getMessage().contains("expected 6 and 3"), e.getMessage());
    }
  }
}
