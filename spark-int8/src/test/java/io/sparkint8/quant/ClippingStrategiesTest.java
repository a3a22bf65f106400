package io.sparkint8.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
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

/** The factory, max clipping, and the immutability of {@link ClipStats}. */
class ClippingStrategiesTest {
  private OffHeapAllocator alloc;

  static List<Int8Backend> backends() {
    return TestBackends.all();
  }

  @BeforeEach
  void open() {
    alloc = new OffHeapAllocator("clipping-test");
  }

  @AfterEach
  void close() {
    alloc.close();
  }

  @Test
  void factoryMakesAFreshStrategyPerKind() {
    assertInstanceOf(MaxClipping.class, ClippingKind.MAX.create(8));
    assertInstanceOf(DsgcClipping.class, ClippingKind.parse(" DSGC ").create(8));
    assertInstanceOf(McsClipping.class, ClippingKind.MCS.create(8));
    DsgcClipping d = (DsgcClipping) ClippingKind.DSGC.create(4, 7);
    assertEquals(4, d.bits());
    assertEquals(7, d.clipUpdateInterval());
    assertEquals(100, ((DsgcClipping) ClippingKind.DSGC.create(8)).clipUpdateInterval());
    assertNotEquals(
        System.identityHashCode(ClippingKind.MCS.create(8)),
        System.identityHashCode(ClippingKind.MCS.create(8)));
    for (ClippingKind k : ClippingKind.values()) {
      assertEquals(k.label(), k.create(8).name());
      assertEquals(k, ClippingKind.parse(k.label()));
    }
  }

  @Test
  void factoryRejectsBadNamesAndSettingsNamingThem() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> ClippingKind.parse("minmax"));
    assertEquals("clipping=minmax, expected one of max, dsgc, mcs", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> ClippingKind.parse(null));
    assertTrue(e.getMessage().contains("expected one of max, dsgc, mcs"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> ClippingKind.MAX.create(1));
    assertTrue(e.getMessage().contains("bits=1"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> ClippingKind.MCS.create(8, -5));
    assertTrue(e.getMessage().contains("clipUpdateInterval=-5"), e.getMessage());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("backends")
  void maxClippingClipsAtTheTensorMax(Int8Backend be) {
    long seed = 41;
    float[] x = Synthetic.studentT(seed, 3000, 2);
    float max = 0f;
    for (float v : x) {
      max = Math.max(max, Math.abs(v));
    }
    MaxClipping m = new MaxClipping();
    assertNull(m.lastStats());
    try (Float32Buffer g = alloc.float32Of(x)) {
      ClipStats s = m.update(be, alloc, g, 100, 30);
      assertEquals(max, s.max(), 0f, "seed " + seed);
      assertEquals(max, s.clip(), 0f, "seed " + seed);
      assertEquals(QuantGranularity.PER_TENSOR, s.granularity());
      assertTrue(Double.isNaN(s.deviation()));
      assertEquals(1, m.steps());
      m.reset();
      assertEquals(0, m.steps());
      assertNull(m.lastStats());
    }
  }

  @Test
  void shapesLargerThanTheGradientAreRejected() {
    Int8Backend be = TestBackends.all().get(0);
    try (Float32Buffer g = alloc.allocateFloat32(10)) {
      for (ClippingKind k : ClippingKind.values()) {
        ClippingStrategy s = k.create(8);
        IllegalArgumentException e =
            assertThrows(IllegalArgumentException.class, () -> s.update(be, alloc, g, 4, 3));
        assertTrue(e.getMessage().contains("rows=4 cols=3"), k + ": " + e.getMessage());
      }
    }
  }

  @Test
  void clipStatsAreImmutable() {
    float[] clips = {1f, 2f};
    ChannelClass[] classes = {ChannelClass.GAUSSIAN, ChannelClass.INVERTED_T};
    ClipStats s =
        new ClipStats(
            "mcs",
            3,
            QuantGranularity.PER_COLUMN,
            2f,
            clips,
            new float[] {1f, 2f},
            Double.NaN,
            Double.NaN,
            classes);
    clips[0] = 99f;
    classes[0] = ChannelClass.INVERTED_T;
    s.clips()[1] = 99f;
    s.channelClasses()[1] = ChannelClass.GAUSSIAN;
    assertEquals(1f, s.clip(0));
    assertEquals(2f, s.clip(1));
    assertEquals(ChannelClass.GAUSSIAN, s.channelClasses()[0]);
    assertEquals(ChannelClass.INVERTED_T, s.channelClasses()[1]);
    assertEquals(1, s.gaussianChannels());
    assertThrows(IllegalStateException.class, s::clip);
    ClipStats same =
        new ClipStats(
            "mcs",
            3,
            QuantGranularity.PER_COLUMN,
            2f,
            new float[] {1f, 2f},
            new float[] {1f, 2f},
            Double.NaN,
            Double.NaN,
            new ChannelClass[] {ChannelClass.GAUSSIAN, ChannelClass.INVERTED_T});
    assertEquals(same, s);
    assertEquals(same.hashCode(), s.hashCode());
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                new ClipStats(
                    "max",
                    0,
                    QuantGranularity.PER_TENSOR,
                    1f,
                    new float[] {1f, 2f},
                    null,
                    0,
                    0,
                    null));
    assertTrue(e.getMessage().contains("2 clip values, expected 1"), e.getMessage());
  }
}
