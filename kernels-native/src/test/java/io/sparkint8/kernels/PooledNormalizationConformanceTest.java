package io.sparkint8.kernels;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkint8.kernels.jni.NativeBackend;
import io.sparkint8.kernels.memory.Float32Buffer;
import io.sparkint8.kernels.memory.Int32Buffer;
import io.sparkint8.kernels.memory.OffHeapAllocator;
import io.sparkint8.kernels.ref.JavaBackend;
import io.sparkint8.kernels.spi.BnAffine;
import io.sparkint8.kernels.spi.ConvDesc;
import io.sparkint8.kernels.spi.Int8Backend;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Batch norm fused with its max-pool ({@code bnMaxPool} and its two backward ops) on the ISA path this
 * JVM runs (CI runs it once per path through INT8K_MAX_ISA): the native kernels equal the reference bit
 * for bit, and both equal the unfused ops they replace (bnNormalize then maxPoolF32; maxPoolBackward
 * then bnBackwardSums / bnBackwardInput), on tiling windows over odd images (rows and columns in no
 * window), channels from the awkward sizes, with and without the ReLU, ties, NaN and -0 errors.
 */
class PooledNormalizationConformanceTest {
  static final int CASES = 150;
  static final long SEED = Long.getLong("int8.test.seed", 20261207L);
  static final Int8Backend REF = new JavaBackend();
  static NativeBackend nat;
  OffHeapAllocator alloc;

  @BeforeAll
  static void describe() {
    nat = NativeTestSupport.nativeBackend();
    System.out.println("pooled normalization conformance: native ISA " + nat.isa() + ", seed "
        + SEED);
  }

  @BeforeEach
  void open() {
    alloc = new OffHeapAllocator("pooled-normalization");
  }

  @AfterEach
  void close() {
    alloc.close(); // throws if a test leaked a buffer
  }

  private Float32Buffer f32(float[] v) {
    return alloc.allocateFloat32(v.length).copyFrom(v);
  }

  private static double[] doubles(Cases c, int n) {
    double[] v = new double[n];
    for (int i = 0; i < n; i++) {
      v[i] = c.gaussian() * Math.exp(c.rnd.nextDouble(-3, 3));
    }
    return v;
  }

  /** A tiling window (stride == kernel, no padding) over an image that often leaves cells over. */
  private static ConvDesc tilingWindow(Cases c, int t) {
    int k = 1 + c.rnd.nextInt(3);
    int h = k + c.rnd.nextInt(12);
    int w = k + c.rnd.nextInt(12);
    int ch = t % 9 == 0 ? 255 : c.size(40);
    return new ConvDesc(1 + c.rnd.nextInt(3), h, w, ch, k, k, k, k, 0, 0);
  }

  /** Inputs with ties (a coarse grid) in some cases, so "first maximum wins" is exercised. */
  private static float[] input(Cases c, int n, int t) {
    float[] v = c.float32(n);
    if (t % 4 == 0) {
      for (int i = 0; i < n; i++) {
        v[i] = Math.round(v[i] * 2) / 2f;
      }
    }
    return v;
  }

  private static float[] errorWithSpecials(Cases c, int n) {
    float[] v = c.float32(n);
    for (int i = 0; i < n; i++) {
      int pick = c.rnd.nextInt(16);
      if (pick == 0) {
        v[i] = -0f;
      } else if (pick == 1) {
        v[i] = 0f;
      }
    }
    return v;
  }

  @Test
  void forwardEqualsNormalizeThenPool() {
    Cases c = new Cases(SEED);
    for (int t = 0; t < CASES; t++) {
      ConvDesc d = tilingWindow(c, t);
      int ch = d.c();
      boolean relu = t % 3 != 0;
      String ctx = "bnMaxPool case " + t + " seed " + SEED + " " + d + (relu ? " relu" : "");
      BnAffine p = new BnAffine(c.float32(ch), c.positive(ch), c.float32(ch), c.float32(ch));
      int rows = d.n() * d.h() * d.w();
      try (Float32Buffer x = f32(input(c, d.inputSize(), t));
          Float32Buffer y = alloc.allocateFloat32(d.inputSize());
          Float32Buffer want = alloc.allocateFloat32(d.pooledSize());
          Int32Buffer wantArg = alloc.allocateInt32(d.pooledSize());
          Float32Buffer ref = alloc.allocateFloat32(d.pooledSize());
          Int32Buffer refArg = alloc.allocateInt32(d.pooledSize());
          Float32Buffer got = alloc.allocateFloat32(d.pooledSize());
          Int32Buffer gotArg = alloc.allocateInt32(d.pooledSize())) {
        REF.bnNormalize(rows, ch, x, p, relu, y);
        REF.maxPoolF32(d, y, want, wantArg);
        REF.bnMaxPool(d, x, p, relu, ref, refArg);
        nat.bnMaxPool(d, x, p, relu, got, gotArg);
        Compare.sameBits(want.toArray(), ref.toArray(), ctx + " reference pooled");
        Compare.same(wantArg.toArray(), refArg.toArray(), ctx + " reference argmax");
        Compare.sameBits(want.toArray(), got.toArray(), ctx + " native pooled");
        Compare.same(wantArg.toArray(), gotArg.toArray(), ctx + " native argmax");
      }
    }
  }

  @Test
  void backwardEqualsScatterThenBatchNormBackward() {
    Cases c = new Cases(SEED + 1);
    int leftOverCases = 0;
    for (int t = 0; t < CASES; t++) {
      ConvDesc d = tilingWindow(c, t);
      int ch = d.c();
      boolean relu = t % 3 != 0;
      leftOverCases += d.h() % d.kh() != 0 || d.w() % d.kw() != 0 ? 1 : 0;
      String ctx = "bnMaxPool backward case " + t + " seed " + SEED + " " + d
          + (relu ? " relu" : "");
      BnAffine p = new BnAffine(c.float32(ch), c.positive(ch), c.float32(ch), c.float32(ch));
      double[] a = doubles(c, ch);
      double[] b = doubles(c, ch);
      double[] k = doubles(c, ch);
      int rows = d.n() * d.h() * d.w();
      try (Float32Buffer x = f32(input(c, d.inputSize(), t));
          Float32Buffer pooled = alloc.allocateFloat32(d.pooledSize());
          Int32Buffer argmax = alloc.allocateInt32(d.pooledSize());
          Float32Buffer gp = f32(errorWithSpecials(c, d.pooledSize()));
          Float32Buffer scattered = alloc.allocateFloat32(d.inputSize());
          Float32Buffer want = alloc.allocateFloat32(d.inputSize());
          Float32Buffer ref = alloc.allocateFloat32(d.inputSize());
          Float32Buffer got = alloc.allocateFloat32(d.inputSize())) {
        REF.bnMaxPool(d, x, p, relu, pooled, argmax);
        REF.maxPoolBackward(d, gp, argmax, scattered);
        double[][] want2 = {new double[ch], new double[ch]};
        double[][] ref2 = {new double[ch], new double[ch]};
        double[][] got2 = {new double[ch], new double[ch]};
        REF.bnBackwardSums(rows, ch, scattered, x, p, relu, want2[0], want2[1]);
        REF.bnMaxPoolBackwardSums(d, gp, argmax, x, p, relu, ref2[0], ref2[1]);
        nat.bnMaxPoolBackwardSums(d, gp, argmax, x, p, relu, got2[0], got2[1]);
        for (int i = 0; i < 2; i++) {
          Compare.sameBits(want2[i], ref2[i], ctx + " reference sum " + i);
          Compare.sameBits(want2[i], got2[i], ctx + " native sum " + i);
        }
        REF.bnBackwardInput(rows, ch, scattered, x, p, relu, a, b, k, want);
        REF.bnMaxPoolBackwardInput(d, gp, argmax, x, p, relu, a, b, k, ref);
        nat.bnMaxPoolBackwardInput(d, gp, argmax, x, p, relu, a, b, k, got);
        Compare.sameBits(want.toArray(), ref.toArray(), ctx + " reference gradIn");
        Compare.sameBits(want.toArray(), got.toArray(), ctx + " native gradIn");
      }
    }
    assertTrue(leftOverCases > 20, "too few images with cells in no window: " + leftOverCases);
  }

  @Test
  void anArgmaxOutsideItsWindowPassesNothingAndNeverReadsOutOfBounds() {
    Cases c = new Cases(SEED + 2);
    ConvDesc d = new ConvDesc(2, 5, 6, 3, 2, 2, 2, 2, 0, 0);
    int ch = d.c();
    BnAffine p = new BnAffine(c.float32(ch), c.positive(ch), c.float32(ch), c.float32(ch));
    double[] a = doubles(c, ch);
    double[] b = doubles(c, ch);
    double[] k = doubles(c, ch);
    int[] wild = new int[d.pooledSize()];
    for (int o = 0; o < wild.length; o++) {
      wild[o] = switch (o % 4) {
        case 0 -> Integer.MIN_VALUE;
        case 1 -> d.inputSize() + o;
        case 2 -> (o * 7) % d.inputSize(); // inside the image, mostly outside its window
        default -> -1;
      };
    }
    try (Float32Buffer x = f32(c.float32(d.inputSize()));
        Float32Buffer gp = f32(c.float32(d.pooledSize()));
        Int32Buffer argmax = alloc.allocateInt32(d.pooledSize());
        Float32Buffer ref = alloc.allocateFloat32(d.inputSize());
        Float32Buffer got = alloc.allocateFloat32(d.inputSize())) {
      argmax.copyFrom(wild);
      double[][] ref2 = {new double[ch], new double[ch]};
      double[][] got2 = {new double[ch], new double[ch]};
      REF.bnMaxPoolBackwardSums(d, gp, argmax, x, p, false, ref2[0], ref2[1]);
      nat.bnMaxPoolBackwardSums(d, gp, argmax, x, p, false, got2[0], got2[1]);
      Compare.sameBits(ref2[0], got2[0], "sumG with wild argmax");
      Compare.sameBits(ref2[1], got2[1], "sumGh with wild argmax");
      REF.bnMaxPoolBackwardInput(d, gp, argmax, x, p, false, a, b, k, ref);
      nat.bnMaxPoolBackwardInput(d, gp, argmax, x, p, false, a, b, k, got);
      Compare.sameBits(ref.toArray(), got.toArray(), "gradIn with wild argmax");
    }
  }

  @Test
  void badWindowsAndSizesAreRejected() {
    float[] f3 = new float[3];
    double[] d3 = new double[3];
    BnAffine p = new BnAffine(f3, f3, f3, f3);
    ConvDesc overlapping = new ConvDesc(1, 4, 4, 3, 3, 3, 2, 2, 0, 0);
    ConvDesc padded = new ConvDesc(1, 4, 4, 3, 2, 2, 2, 2, 1, 1);
    ConvDesc tiling = new ConvDesc(1, 4, 4, 3, 2, 2, 2, 2, 0, 0);
    try (Float32Buffer x = alloc.allocateFloat32(48);
        Float32Buffer shortX = alloc.allocateFloat32(47);
        Float32Buffer pooled = alloc.allocateFloat32(12);
        Int32Buffer argmax = alloc.allocateInt32(12);
        Float32Buffer gi = alloc.allocateFloat32(48)) {
      for (Int8Backend be : new Int8Backend[] {REF, nat}) {
        String who = be.name();
        for (ConvDesc bad : new ConvDesc[] {overlapping, padded}) {
          IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
              () -> be.bnMaxPool(bad, x, p, true, pooled, argmax), who + " " + bad);
          assertTrue(e.getMessage().contains("does not tile"), e.getMessage());
          e = assertThrows(IllegalArgumentException.class,
              () -> be.bnMaxPoolBackwardInput(bad, pooled, argmax, x, p, true, d3, d3, d3, gi),
              who + " " + bad);
          assertTrue(e.getMessage().contains("does not tile"), e.getMessage());
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
            () -> be.bnMaxPool(tiling, shortX, p, true, pooled, argmax), who);
        assertTrue(e.getMessage().contains("'x'") && e.getMessage().contains("48"),
            e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
            () -> be.bnMaxPoolBackwardSums(tiling, pooled, argmax, x, p, true, d3,
                new double[2]), who);
        assertTrue(e.getMessage().contains("'sumGh'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
            () -> be.bnMaxPoolBackwardInput(tiling, pooled, argmax, x,
                new BnAffine(f3, new float[1], f3, f3), true, d3, d3, d3, gi), who);
        assertTrue(e.getMessage().contains("'invScale'"), e.getMessage());
      }
    }
  }
}
