package io.sparkint8.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkint8.kernels.memory.Float32Buffer;
import io.sparkint8.kernels.memory.Int8Buffer;
import io.sparkint8.kernels.memory.OffHeapAllocator;
import io.sparkint8.kernels.spi.Int8Backend;
import io.sparkint8.kernels.spi.QuantDesc;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** GVQ classification and the MCS moving clip, per channel (column). */
class McsClippingTest {
  private static final ChannelClass G = ChannelClass.GAUSSIAN;
  private static final ChannelClass T = ChannelClass.INVERTED_T;

  private OffHeapAllocator alloc;

  static List<Int8Backend> backends() {
    return TestBackends.all();
  }

  @BeforeEach
  void open() {
    alloc = new OffHeapAllocator("mcs-test");
  }

  @AfterEach
  void close() {
    alloc.close();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("backends")
  void classifiesGaussianAndSpikyLaplaceChannels(Int8Backend be) {
    long seed = 31;
    int rows = 8192;
    int cols = 64;
    SplittableRandom r = new SplittableRandom(seed);
    boolean[] gaussian = new boolean[cols];
    for (int c = 0; c < cols; c++) {
      gaussian[c] = c % 2 == 0;
    }
    for (int c = cols - 1; c > 0; c--) { // shuffle so the layout carries no hint
      int j = r.nextInt(c + 1);
      boolean t = gaussian[c];
      gaussian[c] = gaussian[j];
      gaussian[j] = t;
    }
    float[] x = new float[rows * cols];
    for (int i = 0; i < rows; i++) {
      for (int c = 0; c < cols; c++) {
        double scale = 0.001 * (1 + c); // channels differ in magnitude
        double v;
        if (gaussian[c]) {
          v = Synthetic.gaussian(r);
        } else {
          v = Synthetic.laplace(r, 1.0);
          if (r.nextDouble() < 0.002) {
            v = (r.nextBoolean() ? 1 : -1) * (20 + 30 * r.nextDouble());
          }
        }
        x[i * cols + c] = (float) (scale * v);
      }
    }
    try (Float32Buffer g = alloc.float32Of(x)) {
      ClipStats s = new McsClipping().update(be, alloc, g, rows, cols);
      ChannelClass[] classes = s.channelClasses();
      int correct = 0;
      StringBuilder wrong = new StringBuilder();
      for (int c = 0; c < cols; c++) {
        if ((classes[c] == G) == gaussian[c]) {
          correct++;
        } else {
          wrong.append(' ').append(c);
        }
        // first step: every channel is clipped at its own max
        assertEquals(s.channelMax()[c], s.clip(c), 0f, "channel " + c);
      }
      assertTrue(correct >= 61, correct + "/64 correct, wrong:" + wrong + ", seed " + seed);
      assertEquals(32, s.gaussianChannels(), 1.5, "seed " + seed);
    }
  }

  /** Channels of 10 rows whose class is known by hand (see the comments). */
  private static float[] step(float spike, float wave, float third, boolean thirdGaussian) {
    int rows = 10;
    float[] x = new float[rows * 3];
    // channel 0: one spike among zeros -> sd = 0.3 * spike, 1/10 above it: inverted-T, max = spike
    x[0] = spike;
    // channel 1: +w, -w, +w, -w, then zeros -> sd = 0.63 w, 4/10 above it: Gaussian, max = w
    for (int r = 0; r < 4; r++) {
      x[r * 3 + 1] = r % 2 == 0 ? wave : -wave;
    }
    if (thirdGaussian) {
      for (int r = 0; r < 4; r++) {
        x[r * 3 + 2] = r % 2 == 0 ? third : -third;
      }
    } else {
      x[3 * 3 + 2] = -third;
    }
    return x;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("backends")
  void followsTheMovingClipFormulaStepByStep(Int8Backend be) {
    McsClipping mcs = new McsClipping(); // k = 1, A = 0.8: s_t = 0.2 s_{t-1} + 0.8 max_t
    float[][] steps = {
      step(10f, 1f, 4f, true),
      step(5f, 3f, 2f, false),
      step(20f, 2f, 1f, false),
      step(1f, 7f, 8f, true)
    };
    ChannelClass[][] classes = {{T, G, G}, {T, G, T}, {T, G, T}, {T, G, G}};
    float[][] clips = {
      {10f, 1f, 4f}, // first step: the max
      {
        6f, 3f, 2.4f
      }, // 0.2*10 + 0.8*5; Gaussian: max; 0.2*4 + 0.8*2 (previous clip, whatever class)
      {17.2f, 2f, 1.28f}, // 0.2*6 + 0.8*20; 2; 0.2*2.4 + 0.8*1
      {4.24f, 7f, 8f} // 0.2*17.2 + 0.8*1; 7; Gaussian again: 8
    };
    for (int t = 0; t < steps.length; t++) {
      try (Float32Buffer g = alloc.float32Of(steps[t])) {
        ClipStats s = mcs.update(be, alloc, g, 10, 3);
        assertEquals(t, s.step());
        assertEquals(QuantGranularity.PER_COLUMN, s.granularity());
        assertArrayEquals(classes[t], s.channelClasses(), "step " + t);
        assertArrayEquals(classes[t], mcs.channelClasses(), "step " + t);
        assertArrayEquals(clips[t], s.clips(), 1e-5f, "step " + t);
        float max = Math.max(Math.max(s.channelMax()[0], s.channelMax()[1]), s.channelMax()[2]);
        assertEquals(max, s.max(), 0f);
        assertTrue(Double.isNaN(s.deviation()));
      }
    }
    mcs.reset();
    try (Float32Buffer g = alloc.float32Of(steps[1])) {
      assertArrayEquals(new float[] {5f, 3f, 2f}, mcs.update(be, alloc, g, 10, 3).clips(), 0f);
    }
  }

  /**
   * The clips quantize the error per channel as a conv/fc layer does (GemmCore): the [rows x
   * channels] error is transposed and each channel, now a row, is quantized with its clip.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("backends")
  void itsClipsDrivePerChannelQuantization(Int8Backend be) {
    McsClipping mcs = new McsClipping();
    int rows = 10;
    int channels = 3;
    try (Float32Buffer a = alloc.float32Of(step(10f, 1f, 4f, true));
        Float32Buffer b = alloc.float32Of(step(5f, 3f, 2f, false));
        Float32Buffer transposed = alloc.allocateFloat32(rows * channels);
        Float32Buffer clips = alloc.allocateFloat32(channels);
        Int8Buffer codes = alloc.allocateInt8(rows * channels);
        Float32Buffer scales = alloc.allocateFloat32(channels)) {
      mcs.update(be, alloc, a, rows, channels);
      ClipStats s = mcs.update(be, alloc, b, rows, channels);
      be.transposeF32(rows, channels, b, transposed);
      clips.copyFrom(s.clips());
      be.quantize(QuantDesc.perRow(channels, rows), transposed, clips, codes, scales);
      assertArrayEquals(
          new float[] {s.clip(0) / 127f, s.clip(1) / 127f, s.clip(2) / 127f}, scales.toArray());
      // the code of row r, channel c sits at c * rows + r; the spike 5 lies inside its moving
      // clip 6, channel 1 is clipped at its max 3
      assertEquals(6f, s.clip(0), 1e-5f);
      assertEquals((byte) Math.rint(5f * (127f / s.clip(0))), codes.get(0));
      assertEquals(127, codes.get(rows));
      assertEquals(-127, codes.get(rows + 1));
      assertEquals((byte) Math.rint(-2f * (127f / s.clip(2))), codes.get(2 * rows + 3));
      assertTrue(
          Math.abs(codes.get(2 * rows + 3)) < 127, "-2 under the clip 2.4 must not saturate");
    }
  }

  @Test
  void aLayerKeepsItsChannelCountAndParametersAreValidated() {
    Int8Backend be = TestBackends.all().get(0);
    McsClipping mcs = new McsClipping();
    try (Float32Buffer g = alloc.float32Of(step(1f, 1f, 1f, true))) {
      mcs.update(be, alloc, g, 10, 3);
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> mcs.update(be, alloc, g, 15, 2));
      assertTrue(e.getMessage().contains("2 channels, but this layer had 3"), e.getMessage());
    }
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> new McsClipping(1.3, 1, 0.8));
    assertTrue(e.getMessage().contains("lambda=1.3"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new McsClipping(0.3, 2, 0.8));
    assertTrue(e.getMessage().contains("k=2.0"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new McsClipping(0.3, 1, 0));
    assertTrue(e.getMessage().contains("A=0.0"), e.getMessage());
  }
}
