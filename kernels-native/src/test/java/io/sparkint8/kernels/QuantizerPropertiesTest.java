package io.sparkint8.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkint8.kernels.memory.Float32Buffer;
import io.sparkint8.kernels.memory.Int8Buffer;
import io.sparkint8.kernels.memory.OffHeapAllocator;
import io.sparkint8.kernels.spi.Int8Backend;
import io.sparkint8.kernels.spi.QuantDesc;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Properties of quantization that hold on every backend: values, ranges, rounding, reproducibility. */
class QuantizerPropertiesTest {
  OffHeapAllocator alloc;

  static List<Int8Backend> backends() {
    return Backend.all();
  }

  @BeforeEach
  void open() {
    alloc = new OffHeapAllocator("quantizer");
  }

  @AfterEach
  void close() {
    alloc.close();
  }

  @ParameterizedTest
  @MethodSource("backends")
  void nearestRoundsHalfToEvenWithTheInverseScale(Int8Backend be) {
    // max |x| = 127, so inv = 1 and codes are rint(x): 0.5 -> 0, 1.5 -> 2, 2.5 -> 2, -2.5 -> -2
    float[] x = {0.5f, 1.5f, 2.5f, -2.5f, -0.5f, 126.5f, 127f, -127f, 3.49f};
    QuantDesc d = QuantDesc.perTensor(1, x.length);
    try (Float32Buffer src = alloc.float32Of(x);
        Int8Buffer q = alloc.allocateInt8(x.length);
        Float32Buffer s = alloc.allocateFloat32(1)) {
      be.quantize(d, src, null, q, s);
      assertArrayEquals(new byte[] {0, 2, 2, -2, 0, 126, 127, -127, 3}, q.toArray());
      assertEquals(1f, s.get(0));
    }
  }

  @ParameterizedTest
  @MethodSource("backends")
  void clipValueSaturatesAndPowerOfTwoRoundsUp(Int8Backend be) {
    float[] x = {-10f, -3f, 0f, 1f, 3f, 10f};
    QuantDesc d = QuantDesc.perTensor(1, x.length).withBits(4); // qmax 7
    try (Float32Buffer src = alloc.float32Of(x);
        Float32Buffer clip = alloc.float32Of(3f);
        Int8Buffer q = alloc.allocateInt8(x.length);
        Float32Buffer s = alloc.allocateFloat32(1)) {
      be.quantize(d, src, clip, q, s);
      assertArrayEquals(new byte[] {-7, -7, 0, 2, 7, 7}, q.toArray()); // 1 * 7/3 = 2.33 -> 2
      assertEquals(3f / 7f, s.get(0));
      QuantDesc pow2 = d.withGroups(x.length, true);
      be.quantize(pow2, src, clip, q, s);
      assertEquals(4f / 7f, s.get(0)); // clip 3 -> 4
      assertArrayEquals(new byte[] {-7, -5, 0, 2, 5, 7}, q.toArray()); // 3 * 7/4 = 5.25
    }
  }

  @ParameterizedTest
  @MethodSource("backends")
  void groupsHaveTheirOwnScalesAndZeroGroupsGiveZeroCodes(Int8Backend be) {
    float[] x = {1f, -2f, 0f, 0f, 8f, 4f, 0.5f};
    QuantDesc d = QuantDesc.perTensor(1, x.length).withGroups(2, false);
    try (Float32Buffer src = alloc.float32Of(x);
        Int8Buffer q = alloc.allocateInt8(x.length);
        Float32Buffer s = alloc.allocateFloat32(d.groups())) {
      assertEquals(4, d.groups());
      be.quantize(d, src, null, q, s);
      assertArrayEquals(new float[] {2f / 127, 0f, 8f / 127, 0.5f / 127}, s.toArray());
      assertArrayEquals(new byte[] {64, -127, 0, 0, 127, 64, 127}, q.toArray());
    }
  }

  @ParameterizedTest
  @MethodSource("backends")
  void stochasticRoundingIsUnbiasedOverAMillionDraws(Int8Backend be) {
    int n = 1_000_000;
    SplittableRandom rnd = new SplittableRandom(7);
    float[] x = new float[n];
    x[0] = 1f; // pins max |x| = 1, so the step is 1/127
    for (int i = 1; i < n; i++) {
      x[i] = (float) rnd.nextDouble(-1, 1);
    }
    float[] constant = new float[n];
    Arrays.fill(constant, 0.3f / 127f);
    constant[0] = 1f;
    QuantDesc d = QuantDesc.perTensor(1, n).stochastic(42, 3);
    try (Float32Buffer src = alloc.float32Of(x);
        Float32Buffer cst = alloc.float32Of(constant);
        Int8Buffer q = alloc.allocateInt8(n);
        Float32Buffer s = alloc.allocateFloat32(1)) {
      be.quantize(d, src, null, q, s);
      float step = s.get(0);
      double err = 0;
      byte[] codes = q.toArray();
      for (int i = 0; i < n; i++) {
        err += codes[i] - (double) x[i] / step;
      }
      double meanErr = err / n;
      assertTrue(Math.abs(meanErr) < 1e-3, "mean error " + meanErr + " steps over random values");
      be.quantize(d, cst, null, q, s);
      codes = q.toArray();
      double sum = 0;
      for (int i = 1; i < n; i++) {
        sum += codes[i];
        assertTrue(codes[i] == 0 || codes[i] == 1, "0.3 of a step rounds to 0 or 1");
      }
      double mean = sum / (n - 1);
      assertTrue(Math.abs(mean - 0.3) < 1e-3, "mean code " + mean + " for 0.3 of a step");
    }
  }

  @ParameterizedTest
  @MethodSource("backends")
  void stochasticCodesDependOnlyOnTheKey(Int8Backend be) {
    int n = 4099;
    float[] x = new Cases(11).float32(n);
    x[0] = 100f; // keep every group non-empty and the step coarse
    QuantDesc d = QuantDesc.perTensor(1, n).stochastic(5, 9);
    try (Float32Buffer src = alloc.float32Of(x);
        Int8Buffer q1 = alloc.allocateInt8(n);
        Int8Buffer q2 = alloc.allocateInt8(n);
        Int8Buffer q3 = alloc.allocateInt8(n);
        Float32Buffer s = alloc.allocateFloat32(1)) {
      be.quantize(d, src, null, q1, s);
      be.withThreads(3).quantize(d, src, null, q2, s);
      assertArrayEquals(q1.toArray(), q2.toArray(), "same key, same codes");
      be.quantize(d.stochastic(5, 10), src, null, q3, s);
      assertFalse(Arrays.equals(q1.toArray(), q3.toArray()), "another stream, other codes");
    }
  }

  @ParameterizedTest
  @MethodSource("backends")
  void nonFiniteInputOrClipIsRejected(Int8Backend be) {
    QuantDesc d = QuantDesc.perRow(2, 3);
    try (Float32Buffer src = alloc.float32Of(1f, 2f, 3f, 4f, Float.NaN, 6f);
        Float32Buffer ok = alloc.float32Of(1f, 2f, 3f, 4f, 5f, 6f);
        Float32Buffer badClip = alloc.float32Of(1f, -1f);
        Int8Buffer q = alloc.allocateInt8(6);
        Float32Buffer s = alloc.allocateFloat32(2)) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> be.quantize(d, src, null, q, s));
      assertTrue(e.getMessage().contains("group 1"), e.getMessage());
      e = assertThrows(IllegalArgumentException.class, () -> be.quantize(d, ok, badClip, q, s));
      assertTrue(e.getMessage().contains("clip[1]"), e.getMessage());
    }
  }
}
