package io.sparkint8.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkint8.kernels.jni.NativeBackend;
import io.sparkint8.kernels.memory.Float32Buffer;
import io.sparkint8.kernels.memory.Int32Buffer;
import io.sparkint8.kernels.memory.Int8Buffer;
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
 * The native batch-norm, fp32 ReLU, fp32 max-pool and matrix-glue kernels equal the reference bit for bit on the ISA path this JVM
 * runs (CI runs it once per path through INT8K_MAX_ISA): 200 random cases per operation, rows and
 * channels from the awkward sizes (1, 3, 17, 255, channels not a multiple of the vector width), values
 * from several distributions, plus NaN, infinities and -0 for ReLU. Each message carries the seed.
 */
class NormalizationConformanceTest {
  static final int CASES = 200;
  static final long SEED = Long.getLong("int8.test.seed", 20261122L);
  static final Int8Backend REF = new JavaBackend();
  static NativeBackend nat;
  OffHeapAllocator alloc;

  @BeforeAll
  static void describe() {
    nat = NativeTestSupport.nativeBackend();
    System.out.println("normalization conformance: native ISA " + nat.isa() + ", seed " + SEED);
  }

  @BeforeEach
  void open() {
    alloc = new OffHeapAllocator("normalization");
  }

  @AfterEach
  void close() {
    alloc.close(); // throws if a test leaked a buffer
  }

  private Float32Buffer f32(float[] v) {
    return alloc.allocateFloat32(v.length).copyFrom(v);
  }

  /** A batch with a per-channel offset, so that means and deviations differ across channels. */
  private static float[] batch(Cases c, int rows, int channels) {
    float[] v = c.float32(rows * channels);
    float[] shift = c.float32(channels);
    for (int i = 0; i < v.length; i++) {
      v[i] += shift[i % channels];
    }
    return v;
  }

  private static double[] doubles(Cases c, int n) {
    double[] v = new double[n];
    for (int i = 0; i < n; i++) {
      v[i] = c.gaussian() * Math.exp(c.rnd.nextDouble(-3, 3));
    }
    return v;
  }

  @Test
  void statisticsMatchReference() {
    Cases c = new Cases(SEED);
    for (int t = 0; t < CASES; t++) {
      int rows = c.size(t % 10 == 0 ? 600 : 80);
      int ch = c.size(t % 7 == 0 ? 255 : 70);
      String ctx = "bnStatistics case " + t + " seed " + SEED + " rows " + rows + " channels " + ch;
      try (Float32Buffer x = f32(batch(c, rows, ch))) {
        double[][] want = {new double[ch], new double[ch], new double[ch]};
        double[][] got = {new double[ch + 2], new double[ch + 2], new double[ch + 2]};
        REF.bnStatistics(rows, ch, x, want[0], want[1], want[2]);
        nat.bnStatistics(rows, ch, x, got[0], got[1], got[2]);
        for (int i = 0; i < 3; i++) {
          Compare.sameBits(want[i], java.util.Arrays.copyOf(got[i], ch), ctx + " output " + i);
          assertEquals(0.0, got[i][ch], ctx + ": wrote past the channels");
        }
      }
    }
  }

  /** The second pass alone, around bnStatistics' own means, gives its m2 and absDev bit for bit. */
  @Test
  void deviationsAroundTheStatisticsMeansAreItsSecondPass() {
    Cases c = new Cases(SEED + 7);
    for (int t = 0; t < CASES; t++) {
      int rows = c.size(t % 10 == 0 ? 600 : 80);
      int ch = c.size(t % 7 == 0 ? 255 : 70);
      String ctx = "bnDeviations case " + t + " seed " + SEED + " rows " + rows + " channels " + ch;
      try (Float32Buffer x = f32(batch(c, rows, ch))) {
        double[][] stats = {new double[ch], new double[ch], new double[ch]};
        REF.bnStatistics(rows, ch, x, stats[0], stats[1], stats[2]);
        for (Int8Backend be : new Int8Backend[] {REF, nat}) {
          double[][] got = {new double[ch + 2], new double[ch + 2]};
          be.bnDeviations(rows, ch, x, stats[0], got[0], got[1]);
          for (int i = 0; i < 2; i++) {
            Compare.sameBits(stats[i + 1], java.util.Arrays.copyOf(got[i], ch),
                ctx + " " + be.name() + " output " + (i + 1));
            assertEquals(0.0, got[i][ch], ctx + ": wrote past the channels");
          }
        }
      }
    }
  }

  @Test
  void normalizeMatchesReference() {
    Cases c = new Cases(SEED + 1);
    for (int t = 0; t < CASES; t++) {
      int rows = c.size(t % 10 == 0 ? 600 : 80);
      int ch = c.size(t % 7 == 0 ? 255 : 70);
      int count = rows * ch;
      boolean relu = t % 3 != 0;
      String ctx = "bnNormalize case " + t + " seed " + SEED + " rows " + rows + " channels " + ch
          + (relu ? " with relu" : "");
      BnAffine p = new BnAffine(c.float32(ch), c.positive(ch), c.float32(ch), c.float32(ch));
      try (Float32Buffer x = f32(batch(c, rows, ch));
          Float32Buffer wantY = alloc.allocateFloat32(count);
          Float32Buffer gotY = alloc.allocateFloat32(count)) {
        REF.bnNormalize(rows, ch, x, p, relu, wantY);
        nat.bnNormalize(rows, ch, x, p, relu, gotY);
        Compare.sameBits(wantY.toArray(), gotY.toArray(), ctx + " y");
      }
    }
  }

  @Test
  void backwardMatchesReference() {
    Cases c = new Cases(SEED + 2);
    for (int t = 0; t < CASES; t++) {
      int rows = c.size(t % 10 == 0 ? 600 : 80);
      int ch = c.size(t % 7 == 0 ? 255 : 70);
      int count = rows * ch;
      boolean relu = t % 3 != 0;
      String ctx = "bnBackward case " + t + " seed " + SEED + " rows " + rows + " channels " + ch
          + (relu ? " with relu" : "");
      BnAffine p = new BnAffine(c.float32(ch), c.positive(ch), c.float32(ch), c.float32(ch));
      double[] a = doubles(c, ch);
      double[] b = doubles(c, ch);
      double[] k = doubles(c, ch);
      try (Float32Buffer g = f32(c.float32(count));
          Float32Buffer x = f32(batch(c, rows, ch));
          Float32Buffer want = alloc.allocateFloat32(count);
          Float32Buffer got = alloc.allocateFloat32(count)) {
        double[] wantG = new double[ch];
        double[] wantGh = new double[ch];
        double[] gotG = new double[ch];
        double[] gotGh = new double[ch];
        REF.bnBackwardSums(rows, ch, g, x, p, relu, wantG, wantGh);
        nat.bnBackwardSums(rows, ch, g, x, p, relu, gotG, gotGh);
        Compare.sameBits(wantG, gotG, ctx + " sumG");
        Compare.sameBits(wantGh, gotGh, ctx + " sumGh");
        REF.bnBackwardInput(rows, ch, g, x, p, relu, a, b, k, want);
        nat.bnBackwardInput(rows, ch, g, x, p, relu, a, b, k, got);
        Compare.sameBits(want.toArray(), got.toArray(), ctx + " gradIn");
      }
    }
  }

  private static float[] withSpecials(Cases c, int n) {
    float[] v = c.float32(n);
    float[] specials = {
      Float.NaN, Float.intBitsToFloat(0xffc00001), Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY,
      -0f, 0f, Float.MIN_VALUE, -Float.MIN_VALUE, Float.MAX_VALUE
    };
    for (int i = 0; i < n; i++) {
      if (c.rnd.nextInt(8) == 0) {
        v[i] = specials[c.rnd.nextInt(specials.length)];
      }
    }
    return v;
  }

  @Test
  void reluMatchesReference() {
    Cases c = new Cases(SEED + 3);
    int positives = 0;
    for (int t = 0; t < CASES; t++) {
      int n = c.size(t % 10 == 0 ? 5000 : 300);
      String ctx = "reluF32 case " + t + " seed " + SEED + " count " + n;
      try (Float32Buffer x = f32(withSpecials(c, n));
          Float32Buffer grad = f32(withSpecials(c, n));
          Float32Buffer want = alloc.allocateFloat32(n);
          Float32Buffer got = alloc.allocateFloat32(n);
          Float32Buffer wantG = alloc.allocateFloat32(n);
          Float32Buffer gotG = alloc.allocateFloat32(n)) {
        REF.reluF32(n, x, want);
        nat.reluF32(n, x, got);
        float[] w = want.toArray();
        Compare.sameBits(w, got.toArray(), ctx);
        for (float v : w) {
          assertTrue(!(v < 0) && Float.floatToRawIntBits(v) != 0x80000000 && !Float.isNaN(v),
              ctx + ": relu produced " + v);
          positives += v > 0 ? 1 : 0;
        }
        REF.reluBackwardF32(n, grad, want, wantG);
        nat.reluBackwardF32(n, grad, want, gotG);
        Compare.sameBits(wantG.toArray(), gotG.toArray(), ctx + " backward");
        // the mask's definition on any y, NaN and -0 included (not only on ReLU outputs)
        REF.reluBackwardF32(n, grad, x, wantG);
        nat.reluBackwardF32(n, grad, x, gotG);
        Compare.sameBits(wantG.toArray(), gotG.toArray(), ctx + " backward on raw y");
        // in place, as the engine may call it
        nat.reluF32(n, x, x);
        Compare.sameBits(w, x.toArray(), ctx + " in place");
      }
    }
    assertTrue(positives > 1000, "too few positive outputs to exercise the pass-through: " + positives);
  }

  @Test
  void maxPoolF32MatchesReference() {
    Cases c = new Cases(SEED + 4);
    for (int t = 0; t < CASES; t++) {
      int k = 1 + c.rnd.nextInt(4);
      int stride = 1 + c.rnd.nextInt(3);
      int pad = c.rnd.nextInt(k);
      int h = Math.max(k, c.size(20));
      int w = Math.max(k, c.size(20));
      int ch = c.size(t % 7 == 0 ? 255 : 40);
      ConvDesc d = new ConvDesc(1 + c.rnd.nextInt(3), h, w, ch, k, k, stride, stride, pad, pad);
      String ctx = "maxPoolF32 case " + t + " seed " + SEED + " " + d;
      // ties (zero runs, half steps) exercise "first maximum wins"; specials exercise NaN and -0
      float[] x = t % 3 == 0 ? withSpecials(c, d.inputSize()) : c.float32(d.inputSize());
      try (Float32Buffer src = f32(x);
          Float32Buffer want = alloc.allocateFloat32(d.pooledSize());
          Float32Buffer got = alloc.allocateFloat32(d.pooledSize());
          Int32Buffer wantArg = alloc.allocateInt32(d.pooledSize());
          Int32Buffer gotArg = alloc.allocateInt32(d.pooledSize())) {
        REF.maxPoolF32(d, src, want, wantArg);
        nat.maxPoolF32(d, src, got, gotArg);
        Compare.sameBits(want.toArray(), got.toArray(), ctx + " dst");
        Compare.same(wantArg.toArray(), gotArg.toArray(), ctx + " argmax");
      }
    }
  }

  @Test
  void matrixGlueMatchesReference() {
    Cases c = new Cases(SEED + 5);
    for (int t = 0; t < CASES; t++) {
      int rows = c.size(t % 10 == 0 ? 600 : 90);
      int cols = c.size(t % 7 == 0 ? 255 : 70);
      int count = rows * cols;
      String ctx = "matrix glue case " + t + " seed " + SEED + " rows " + rows + " cols " + cols;
      float[] m = t % 5 == 0 ? withSpecials(c, count) : c.float32(count);
      float[] v = c.float32(cols);
      try (Float32Buffer src = f32(m);
          Float32Buffer wantT = alloc.allocateFloat32(count);
          Float32Buffer gotT = alloc.allocateFloat32(count);
          Float32Buffer wantAdd = f32(m);
          Float32Buffer gotAdd = f32(m)) {
        float[] wantSums = new float[cols];
        float[] gotSums = new float[cols + 1];
        REF.columnSumsF32(rows, cols, src, wantSums);
        nat.columnSumsF32(rows, cols, src, gotSums);
        Compare.sameBits(wantSums, java.util.Arrays.copyOf(gotSums, cols), ctx + " column sums");
        assertEquals(0f, gotSums[cols], ctx + ": wrote past the columns");
        REF.addRowVectorF32(rows, cols, wantAdd, v);
        nat.addRowVectorF32(rows, cols, gotAdd, v);
        Compare.sameBits(wantAdd.toArray(), gotAdd.toArray(), ctx + " add row vector");
        REF.transposeF32(rows, cols, src, wantT);
        nat.transposeF32(rows, cols, src, gotT);
        float[] w = wantT.toArray();
        Compare.sameBits(w, gotT.toArray(), ctx + " transpose");
        assertEquals(Float.floatToRawIntBits(m[count - 1]), Float.floatToRawIntBits(w[count - 1]),
            ctx + ": the last element stays last");
      }
      try (Int8Buffer codes = alloc.allocateInt8(count).copyFrom(c.int8(count));
          Int8Buffer wantT = alloc.allocateInt8(count);
          Int8Buffer gotT = alloc.allocateInt8(count)) {
        REF.transposeS8(rows, cols, codes, wantT);
        nat.transposeS8(rows, cols, codes, gotT);
        Compare.same(wantT.toArray(), gotT.toArray(), ctx + " transpose s8");
        if (cols > 1) {
          assertEquals(codes.toArray()[1], wantT.toArray()[rows], ctx + ": (0, 1) moves to (1, 0)");
        }
      }
    }
  }

  @Test
  void badSizesAreRejectedBeforeAnyKernelRuns() {
    try (Float32Buffer x = alloc.allocateFloat32(12);
        Float32Buffer y = alloc.allocateFloat32(12)) {
      double[] three = new double[3];
      float[] f3 = new float[3];
      float[] f4 = new float[4];
      float[] f6 = new float[6];
      for (Int8Backend b : new Int8Backend[] {REF, nat}) {
        String who = b.name();
        IllegalArgumentException e =
            assertThrows(IllegalArgumentException.class,
                () -> b.bnStatistics(5, 3, x, three, three, three), who);
        assertTrue(e.getMessage().contains("'x'") && e.getMessage().contains("15"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
            () -> b.bnStatistics(4, 3, x, three, new double[2], three), who);
        assertTrue(e.getMessage().contains("'m2'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
            () -> b.bnNormalize(0, 3, x, new BnAffine(f3, f3, f3, f3), false, y), who);
        assertTrue(e.getMessage().contains("rows=0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
            () -> b.bnNormalize(4, 3, x, new BnAffine(f3, f3, null, f3), true, y), who);
        assertTrue(e.getMessage().contains("'gamma'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
            () -> b.bnBackwardSums(4, 4, x, y, new BnAffine(f4, f4, f4, f4), true, new double[4],
                new double[4]), who);
        assertTrue(e.getMessage().contains("16"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
            () -> b.bnBackwardInput(2, 6, x, y, new BnAffine(f6, f6, f6, f6), false, three, three,
                three, y), who);
        assertTrue(e.getMessage().contains("'a'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> b.reluF32(13, x, y), who);
        assertTrue(e.getMessage().contains("13"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> b.reluBackwardF32(0, x, y, y), who);
        assertTrue(e.getMessage().contains("count=0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
            () -> b.columnSumsF32(4, 3, x, new float[2]), who);
        assertTrue(e.getMessage().contains("expected >= 3"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
            () -> b.addRowVectorF32(5, 3, x, new float[3]), who);
        assertTrue(e.getMessage().contains("'m'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> b.transposeF32(3, 4, x, x), who);
        assertTrue(e.getMessage().contains("same buffer"), e.getMessage());
        try (Int32Buffer arg = alloc.allocateInt32(3)) {
          ConvDesc pool = ConvDesc.of(1, 4, 3, 1, 2, 1, 0);
          e = assertThrows(IllegalArgumentException.class, () -> b.maxPoolF32(pool, x, y, arg), who);
          assertTrue(e.getMessage().contains("'argmax'"), e.getMessage());
        }
      }
    }
  }
}
