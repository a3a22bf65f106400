package io.sparkint8.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkint8.kernels.Backends;
import io.sparkint8.kernels.memory.OffHeapAllocator;
import io.sparkint8.kernels.spi.Int8Backend;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A backend's leaf quantization gives LeafQuantizer's Java loop's codes, clipped counts and maxima
 * bit for bit, on awkward lengths, with values beyond the clip, exactly at it, zero and subnormal,
 * and for every (seed, step, partition, tensor); its scratch grows and shrinks between tensors
 * without changing a code. (The native kernels behind it are checked against the reference on every
 * ISA path by kernels-native's conformance suite, which .ci/run runs on each.)
 */
class BackendLeafQuantizerTest {
  private static final int[] LENGTHS = {1, 3, 17, 255, 1000, 4099, 64, 2};

  @ParameterizedTest(name = "backend={0}")
  @ValueSource(strings = {"java", "auto"})
  void sameCodesAsTheJavaLoop(String backend) {
    Int8Backend be = Backends.byName(backend);
    SplittableRandom rnd = new SplittableRandom(20261208L);
    try (OffHeapAllocator alloc = new OffHeapAllocator("leaf-quantizer-test");
        BackendLeafQuantizer q = new BackendLeafQuantizer(be, alloc)) {
      int checked = 0;
      for (int t = 0; t < LENGTHS.length; t++) {
        float[] g = new float[LENGTHS[t]];
        float scale = 0.5f + (float) rnd.nextDouble();
        for (int i = 0; i < g.length; i++) {
          double u = rnd.nextDouble();
          g[i] = (float) ((rnd.nextDouble() * 2 - 1) * scale * (u < 0.1 ? 1.5 : 1.0));
          if (u > 0.97) {
            g[i] = rnd.nextBoolean() ? scale : -scale;
          } else if (u > 0.95) {
            g[i] = u > 0.96 ? 0f : Float.MIN_VALUE;
          }
        }
        long seed = rnd.nextLong();
        long step = rnd.nextInt(1 << 20);
        int partition = rnd.nextInt(64);
        LeafQuantizer.Result want = LeafQuantizer.JAVA.quantize(g, scale, seed, step, partition,
            t);
        LeafQuantizer.Result got = q.quantize(g, scale, seed, step, partition, t);
        String where = "length " + g.length + " tensor " + t + " on " + be.name();
        assertArrayEquals(bytes(want.codes()), bytes(got.codes()), where);
        assertEquals(want.clipped(), got.clipped(), where);
        assertEquals(Float.floatToIntBits(want.maxAbs()), Float.floatToIntBits(got.maxAbs()),
            where);
        checked += want.clipped() > 0 ? 1 : 0;
      }
      assertTrue(checked >= 3, "the values beyond the clip must reach several tensors: " + checked);
    }
  }

  @ParameterizedTest(name = "backend={0}")
  @ValueSource(strings = {"java", "auto"})
  void aNonFiniteGradientNamesItsElement(String backend) {
    try (OffHeapAllocator alloc = new OffHeapAllocator("leaf-quantizer-test");
        BackendLeafQuantizer q = new BackendLeafQuantizer(Backends.byName(backend), alloc)) {
      float[] g = {0.1f, -0.2f, Float.NaN, 0.3f};
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> q.quantize(g, 1f, 1, 2, 3, 4));
      assertTrue(e.getMessage().contains("tensor 4 element 2 = NaN"), e.getMessage());
      g[2] = Float.NEGATIVE_INFINITY;
      e = assertThrows(IllegalArgumentException.class, () -> q.quantize(g, 1f, 1, 2, 3, 4));
      assertTrue(e.getMessage().contains("element 2 = -Infinity"), e.getMessage());
    }
  }

  private static byte[] bytes(CodeArray codes) {
    byte[] out = new byte[codes.length()];
    for (int i = 0; i < out.length; i++) {
      out[i] = (byte) codes.get(i);
    }
    return out;
  }
}
