package io.sparkint8.kernels;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkint8.kernels.jni.NativeBackend;
import io.sparkint8.kernels.memory.Float32Buffer;
import io.sparkint8.kernels.memory.Int8Buffer;
import io.sparkint8.kernels.memory.OffHeapAllocator;
import io.sparkint8.kernels.ref.JavaBackend;
import io.sparkint8.kernels.spi.Granularity;
import io.sparkint8.kernels.spi.Int8Backend;
import io.sparkint8.kernels.spi.QuantDesc;
import io.sparkint8.kernels.spi.Rounding;
import java.util.Locale;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * quantizeTransposedBoth (and quantizeTransposed, which shares its native kernels) equals quantizing
 * the matrix itself, bit for bit, on the ISA path this JVM runs (CI reruns it with INT8K_MAX_ISA).
 * The vector kernels work on blocks of 16 source rows and chunks of 32 (AVX2) or 64 (AVX-512) matrix
 * rows with masked tails, so the shapes straddle those edges: 1, 3, 15, 16, 17, 63, 64, 65 and more.
 */
class QuantizeTransposedConformanceTest {
  static final int CASES = 200;
  static final long SEED = Long.getLong("int8.test.seed", 20261207L);
  static final int[] EDGES = {1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 47, 63, 64, 65, 96, 127, 128,
      129, 255};

  static NativeBackend nat;
  static final JavaBackend REF = new JavaBackend();
  OffHeapAllocator alloc;

  @BeforeAll
  static void describe() {
    nat = NativeTestSupport.nativeBackend();
    System.out.println("quantizeTransposed conformance: native ISA " + nat.isa() + ", seed " + SEED);
  }

  @BeforeEach
  void open() {
    alloc = new OffHeapAllocator("quantize-transposed");
  }

  @AfterEach
  void close() {
    alloc.close(); // throws if a test leaked a buffer
  }

  @Test
  void bothLayoutsHoldTheCodesOfTheMatrix() {
    Cases c = new Cases(SEED);
    long nonzero = 0;
    long total = 0;
    for (int t = 0; t < CASES; t++) {
      int rows = t % 4 == 0 ? 1 + c.rnd.nextInt(300) : EDGES[c.rnd.nextInt(EDGES.length)];
      int cols = t % 4 == 1 ? 1 + c.rnd.nextInt(300) : EDGES[c.rnd.nextInt(EDGES.length)];
      QuantDesc d = new QuantDesc(rows, cols, 2 + c.rnd.nextInt(7),
          c.rnd.nextBoolean() ? Granularity.PER_ROW : Granularity.PER_TENSOR, 0,
          t % 3 == 0 ? Rounding.NEAREST : Rounding.STOCHASTIC, c.rnd.nextInt(3) == 0,
          c.rnd.nextLong(), c.rnd.nextLong());
      nonzero += checkCase(c, d, true, "case " + t + " seed " + SEED + " " + d);
      total += d.count();
    }
    // the conv layers' shapes (32, 64, 128 channels) with a pixel count off every block edge and no
    // zero clip value: the kernels' unmasked path, which training takes
    Cases big = new Cases(SEED + 1);
    for (int channels : new int[] {32, 64, 128}) {
      for (Rounding rounding : Rounding.values()) {
        QuantDesc conv = new QuantDesc(channels, 4099, 8, Granularity.PER_ROW, 0, rounding, false,
            7, 11);
        nonzero += checkCase(big, conv, false, "conv shape seed " + SEED + " " + conv);
        total += conv.count();
      }
    }
    // guard: a kernel writing zeros everywhere must not pass against a reference that mostly does
    assertTrue(nonzero > total / 4, "only " + nonzero + " of " + total + " codes are nonzero");
  }

  /** One case on both backends and both ops; returns the number of nonzero codes. */
  private long checkCase(Cases c, QuantDesc d, boolean zeroClips, String ctx) {
    int rows = d.rows();
    int cols = d.cols();
    float[] x = c.float32(d.count()); // the matrix, rows x cols
    float[] xt = new float[x.length];
    for (int r = 0; r < rows; r++) {
      for (int col = 0; col < cols; col++) {
        xt[col * rows + r] = x[r * cols + col];
      }
    }
    try (Float32Buffer src = alloc.allocateFloat32(x.length).copyFrom(x);
        Float32Buffer srcT = alloc.allocateFloat32(xt.length).copyFrom(xt);
        Float32Buffer clip = clipValues(c, d, x, zeroClips);
        Int8Buffer wantQ = alloc.allocateInt8(d.count());
        Int8Buffer q = alloc.allocateInt8(d.count());
        Int8Buffer qT = alloc.allocateInt8(d.count());
        Int8Buffer single = alloc.allocateInt8(d.count());
        Float32Buffer wantS = alloc.allocateFloat32(d.groups());
        Float32Buffer s = alloc.allocateFloat32(d.groups())) {
      REF.quantize(d, src, clip, wantQ, wantS);
      byte[] want = wantQ.toArray();
      byte[] wantT = new byte[want.length];
      for (int r = 0; r < rows; r++) {
        for (int col = 0; col < cols; col++) {
          wantT[col * rows + r] = want[r * cols + col];
        }
      }
      for (Int8Backend b : new Int8Backend[] {REF, nat}) {
        String bc = ctx + " on " + b.name();
        b.quantizeTransposedBoth(d, srcT, clip, q, qT, s);
        Compare.same(want, q.toArray(), bc + ": codes");
        Compare.same(wantT, qT.toArray(), bc + ": codes in srcT's layout");
        Compare.sameBits(wantS.toArray(), s.toArray(), bc + ": scales");
        b.quantizeTransposed(d, srcT, clip, single, s);
        Compare.same(want, single.toArray(), bc + ": quantizeTransposed codes");
      }
      long nonzero = 0;
      for (byte v : want) {
        nonzero += v != 0 ? 1 : 0;
      }
      return nonzero;
    }
  }

  /**
   * Clip values per group: a fraction of the matrix's max |x| (clipping some values), one in ten zero
   * when {@code zeroClips}.
   */
  private Float32Buffer clipValues(Cases c, QuantDesc d, float[] x, boolean zeroClips) {
    float amax = 0;
    for (float v : x) {
      amax = Math.max(amax, Math.abs(v));
    }
    float[] clip = new float[d.groups()];
    for (int i = 0; i < clip.length; i++) {
      clip[i] = zeroClips && c.rnd.nextInt(10) == 0 ? 0f
          : (float) c.rnd.nextDouble(0.05, 1.5) * amax;
    }
    return alloc.allocateFloat32(clip.length).copyFrom(clip);
  }

  @Test
  void aNonFiniteValueAnywhereIsRefused() {
    // 64 x 40: the value sits in the vector blocks (first 32 columns) or in the element-wise tail
    int rows = 64;
    int cols = 40;
    QuantDesc d = new QuantDesc(rows, cols, 8, Granularity.PER_ROW, 0, Rounding.STOCHASTIC, false,
        1, 2);
    // clip values all 1 (the kernels' unmasked path) or all 0 (codes 0, the masked path)
    for (int at : new int[] {0, 5 * rows + 63, 31 * rows + 17, 35 * rows + 3, rows * cols - 1}) {
      for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
        float[] xt = new float[rows * cols];
        xt[at] = bad;
        for (Int8Backend b : new Int8Backend[] {REF, nat}) {
          try (Float32Buffer srcT = alloc.allocateFloat32(xt.length).copyFrom(xt);
              Float32Buffer clip = alloc.allocateFloat32(rows).copyFrom(new float[rows]);
              Float32Buffer ones = alloc.allocateFloat32(rows).copyFrom(filled(rows, 1f));
              Int8Buffer q = alloc.allocateInt8(xt.length);
              Int8Buffer qT = alloc.allocateInt8(xt.length);
              Float32Buffer sc = alloc.allocateFloat32(rows)) {
            for (Float32Buffer cl : new Float32Buffer[] {clip, ones}) {
              String ctx = b.name() + ": " + bad + " at " + at + ", clip " + cl.get(0);
              IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                  () -> b.quantizeTransposedBoth(d, srcT, cl, q, qT, sc), ctx);
              assertTrue(e.getMessage().toLowerCase(Locale.ROOT).contains("finite"),
                  ctx + ": " + e.getMessage());
              assertThrows(IllegalArgumentException.class,
                  () -> b.quantizeTransposed(d, srcT, cl, q, sc), ctx + " (quantizeTransposed)");
            }
          }
        }
      }
    }
  }

  private static float[] filled(int n, float v) {
    float[] a = new float[n];
    java.util.Arrays.fill(a, v);
    return a;
  }

  @Test
  void badArgumentsAreRefused() {
    QuantDesc d = new QuantDesc(4, 6, 8, Granularity.PER_ROW, 0, Rounding.STOCHASTIC, false, 1, 2);
    QuantDesc groups = new QuantDesc(4, 6, 8, Granularity.PER_GROUP, 3, Rounding.STOCHASTIC, false,
        1, 2);
    for (Int8Backend b : new Int8Backend[] {REF, nat}) {
      try (Float32Buffer srcT = alloc.allocateFloat32(24);
          Float32Buffer clip = alloc.allocateFloat32(8);
          Int8Buffer q = alloc.allocateInt8(24);
          Int8Buffer qT = alloc.allocateInt8(24);
          Int8Buffer small = alloc.allocateInt8(23);
          Float32Buffer sc = alloc.allocateFloat32(8)) {
        assertThrows(IllegalArgumentException.class,
            () -> b.quantizeTransposedBoth(d, srcT, clip, q, small, sc), "codesT too small");
        assertThrows(IllegalArgumentException.class,
            () -> b.quantizeTransposedBoth(d, srcT, clip, small, qT, sc), "codes too small");
        assertThrows(IllegalArgumentException.class,
            () -> b.quantizeTransposedBoth(d, srcT, clip, q, q, sc), "codes and codesT the same");
        assertThrows(IllegalArgumentException.class,
            () -> b.quantizeTransposedBoth(groups, srcT, clip, q, qT, sc), "PER_GROUP");
      }
    }
  }
}
