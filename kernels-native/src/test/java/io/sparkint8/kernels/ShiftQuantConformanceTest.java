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
import io.sparkint8.kernels.spi.GemmDesc;
import io.sparkint8.kernels.spi.Granularity;
import io.sparkint8.kernels.spi.Int8Backend;
import io.sparkint8.kernels.spi.QuantDesc;
import io.sparkint8.kernels.spi.Rounding;
import io.sparkint8.kernels.spi.ShiftQuant;
import io.sparkint8.kernels.spi.Trans;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * ShiftQuant's two kernels (power-of-two group quantization and the GEMM that aligns its groups by
 * shifting exact int32 partials) agree bit for bit between the native backend, on the ISA path this JVM
 * runs (INT8K_MAX_ISA), and the Java reference, on awkward shapes (1, 3, 17, 255, k not a multiple of
 * 4 or 64, groups that do not divide k); and the GEMM computes the product of the dequantized codes.
 */
class ShiftQuantConformanceTest {
  static final int CASES = 200;
  static final long SEED = Long.getLong("int8.test.seed", 20261207L);

  static NativeBackend nat;
  static final JavaBackend REF = new JavaBackend();
  OffHeapAllocator alloc;

  @BeforeAll
  static void describe() {
    nat = NativeTestSupport.nativeBackend();
    System.out.println("shift-quant conformance: native ISA " + nat.isa() + ", seed " + SEED);
  }

  @BeforeEach
  void open() {
    alloc = new OffHeapAllocator("shift-quant");
  }

  @AfterEach
  void close() {
    alloc.close();
  }

  private Float32Buffer f32(float[] v) {
    return alloc.allocateFloat32(v.length).copyFrom(v);
  }

  private Int8Buffer s8(byte[] v) {
    return alloc.allocateInt8(v.length).copyFrom(v);
  }

  private Int32Buffer s32(int[] v) {
    Int32Buffer b = alloc.allocateInt32(v.length);
    for (int i = 0; i < v.length; i++) {
      b.set(i, v[i]);
    }
    return b;
  }

  /** Rows whose magnitudes differ by up to 2^60 between groups, so the exponent floor is exercised. */
  private static float[] spreadRows(Cases c, int rows, int cols) {
    float[] x = c.float32(rows * cols);
    if (c.rnd.nextBoolean()) {
      for (int e = 0; e < x.length; e++) {
        x[e] = Math.scalb(x[e], c.rnd.nextInt(61) - 30);
      }
    }
    return x;
  }

  @Test
  void shiftQuantizeMatchesReference() {
    Cases c = new Cases(SEED);
    int floored = 0;
    for (int t = 0; t < CASES; t++) {
      int rows = c.size(64);
      int cols = c.size(300);
      int group = c.rnd.nextInt(4) == 0 ? 1 + c.rnd.nextInt(cols + 3) : c.awkward(128);
      QuantDesc d = new QuantDesc(rows, cols, 2 + c.rnd.nextInt(7), Granularity.PER_GROUP, group,
          c.rnd.nextBoolean() ? Rounding.NEAREST : Rounding.STOCHASTIC, true, c.rnd.nextLong(),
          c.rnd.nextLong());
      String ctx = "shiftQuantize case " + t + " seed " + SEED + " " + d;
      float[] x = spreadRows(c, rows, cols);
      float[] clips = new float[rows];
      for (int r = 0; r < rows; r++) {
        clips[r] = c.rnd.nextInt(5) == 0 ? 0f : (float) Math.exp(c.rnd.nextDouble(-25, 25));
      }
      try (Float32Buffer src = f32(x);
          Float32Buffer clip = c.rnd.nextBoolean() ? null : f32(clips);
          Int8Buffer wantQ = alloc.allocateInt8(d.count());
          Int8Buffer gotQ = alloc.allocateInt8(d.count());
          Int32Buffer wantE = alloc.allocateInt32(d.groups());
          Int32Buffer gotE = alloc.allocateInt32(d.groups())) {
        REF.shiftQuantize(d, src, clip, wantQ, wantE);
        nat.shiftQuantize(d, src, clip, gotQ, gotE);
        byte[] codes = wantQ.toArray();
        int[] exps = wantE.toArray();
        Compare.same(codes, gotQ.toArray(), ctx + " codes");
        Compare.same(exps, gotE.toArray(), ctx + " exponents");
        for (byte q : codes) {
          assertTrue(q >= -d.qmax() && q <= d.qmax(), ctx + ": code " + q);
        }
        int perRow = d.groupsPerRow();
        for (int r = 0; r < rows; r++) {
          int lo = Integer.MAX_VALUE;
          int hi = Integer.MIN_VALUE;
          for (int g = 0; g < perRow; g++) {
            lo = Math.min(lo, exps[r * perRow + g]);
            hi = Math.max(hi, exps[r * perRow + g]);
          }
          assertTrue(hi - lo <= ShiftQuant.SPAN, ctx + ": row " + r + " spans " + lo + ".." + hi);
          floored += hi - lo == ShiftQuant.SPAN ? 1 : 0;
        }
      }
    }
    assertTrue(floored > 0, "no row reached the exponent floor: the cases do not test it");
  }

  /**
   * Stochastic ShiftQuant is unbiased: over 2^20 values in groups whose magnitudes span 2^-19..1, the
   * mean error of a code against its value, in steps of its own group, is 0 within 2e-3 steps; and each
   * group's exponent is the smallest power of two covering its max |x| (no clip, spread under 24).
   */
  @Test
  void stochasticShiftQuantIsUnbiasedAndEachGroupCoversItsMax() {
    int n = 1 << 20;
    int group = 64;
    SplittableRandom rnd = new SplittableRandom(SEED + 5);
    float[] x = new float[n];
    for (int i = 0; i < n; i++) {
      x[i] = Math.scalb((float) rnd.nextDouble(-1, 1), -((i / group) % 20));
    }
    QuantDesc d = new QuantDesc(1, n, 3, Granularity.PER_GROUP, group, Rounding.STOCHASTIC, true,
        42, 9);
    for (Int8Backend be : List.of(REF, nat)) {
      try (Float32Buffer src = f32(x);
          Int8Buffer q = alloc.allocateInt8(n);
          Int32Buffer e = alloc.allocateInt32(d.groups())) {
        be.shiftQuantize(d, src, null, q, e);
        double err = 0;
        for (int g = 0; g < d.groups(); g++) {
          int exp = e.get(g);
          float max = 0;
          for (int i = g * group; i < (g + 1) * group; i++) {
            max = Math.max(max, Math.abs(x[i]));
            err += q.get(i) - (double) x[i] * d.qmax() / Math.scalb(1.0, exp);
          }
          assertTrue(Math.scalb(1f, exp) >= max && Math.scalb(1f, exp - 1) < max,
              be.name() + ": group " + g + " max " + max + " exponent " + exp);
        }
        double mean = err / n;
        assertTrue(Math.abs(mean) < 2e-3, be.name() + ": mean error " + mean + " steps");
      }
    }
  }

  @Test
  void gemmShiftMatchesReference() {
    Cases c = new Cases(SEED + 1);
    long nonzero = 0;
    long total = 0;
    for (int t = 0; t < CASES; t++) {
      Trans ta = c.rnd.nextBoolean() ? Trans.N : Trans.T;
      Trans tb = c.rnd.nextBoolean() ? Trans.N : Trans.T;
      int m = c.size(130);
      int n = c.size(t % 10 == 0 ? 255 : 70);
      int k = c.size(t % 5 == 0 ? 600 : 255);
      int group = c.rnd.nextInt(3) == 0 ? 1 + c.rnd.nextInt(k + 3) : c.awkward(128);
      int lda = (ta == Trans.N ? k : m) + c.rnd.nextInt(3);
      int ldb = (tb == Trans.N ? n : k) + c.rnd.nextInt(3);
      int ldc = n + c.rnd.nextInt(3);
      GemmDesc d = new GemmDesc(ta, tb, m, n, k, lda, ldb, ldc);
      int perRow = ShiftQuant.groupsPerRow(k, group);
      int[] exps = new int[m * perRow];
      for (int i = 0; i < m; i++) {
        int base = c.rnd.nextInt(250) - 125;
        for (int g = 0; g < perRow; g++) {
          exps[i * perRow + g] = base + c.rnd.nextInt(ShiftQuant.SPAN + 1);
        }
      }
      float alpha = c.rnd.nextBoolean() ? 1f : (float) Math.exp(c.rnd.nextDouble(-5, 5));
      String ctx = "gemmShift case " + t + " seed " + SEED + " " + d + " group " + group;
      Int8Backend threaded = nat.withThreads(1 + c.rnd.nextInt(3));
      try (Int8Buffer a = s8(c.int8((int) d.spanA()));
          Int8Buffer b = s8(c.int8((int) d.spanB()));
          Int32Buffer e = s32(exps);
          Float32Buffer want = f32(c.float32((int) d.spanC()));
          Float32Buffer got = f32(want.toArray())) {
        REF.gemmShiftS8S8F32(d, a, b, group, e, alpha, want);
        threaded.gemmShiftS8S8F32(d, a, b, group, e, alpha, got);
        float[] w = want.toArray();
        Compare.sameBits(w, got.toArray(), ctx);
        for (int i = 0; i < m; i++) {
          for (int j = 0; j < n; j++) {
            total++;
            nonzero += w[i * ldc + j] != 0f ? 1 : 0;
          }
        }
      }
    }
    assertTrue(nonzero > 0.8 * total, "reference outputs mostly zero: " + nonzero + "/" + total);
  }

  /** The GEMM of the codes is the product of the dequantized matrix (code * 2^e / qmax) with B. */
  @Test
  void gemmShiftOfShiftQuantizedCodesIsTheDequantizedProduct() {
    Cases c = new Cases(SEED + 2);
    for (Int8Backend be : List.of(REF, nat)) {
      for (int t = 0; t < 40; t++) {
        int m = c.size(40);
        int n = c.size(40);
        int k = c.size(600);
        int group = c.awkward(128);
        QuantDesc d = new QuantDesc(m, k, 2 + c.rnd.nextInt(6), Granularity.PER_GROUP, group,
            Rounding.STOCHASTIC, true, 7, t);
        GemmDesc g = GemmDesc.of(m, n, k);
        float[] x = spreadRows(c, m, k);
        byte[] bv = c.int8(k * n);
        String ctx = be.name() + " case " + t + " " + d;
        try (Float32Buffer src = f32(x);
            Int8Buffer q = alloc.allocateInt8(d.count());
            Int32Buffer e = alloc.allocateInt32(d.groups());
            Int8Buffer b = s8(bv);
            Float32Buffer out = alloc.allocateFloat32((long) m * n)) {
          be.shiftQuantize(d, src, null, q, e);
          be.gemmShiftS8S8F32(g, q, b, group, e, 1f / d.qmax(), out);
          int perRow = d.groupsPerRow();
          for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
              double exact = 0;
              for (int p = 0; p < k; p++) {
                exact += Math.scalb((double) q.get(i * k + p), e.get(i * perRow + p / group))
                    * bv[p * n + j];
              }
              exact /= d.qmax();
              double got = out.get(i * n + j);
              assertEquals(exact, got, Math.abs(exact) * 3e-7 + Double.MIN_VALUE,
                  ctx + " at (" + i + ", " + j + ")");
            }
          }
        }
      }
    }
  }

  /** Partials of 2^30 shifted by the full span stay exact: no int32 overflow, no lost bits. */
  @Test
  void gemmShiftStaysExactAtTheLimitsOfGroupAndSpan() {
    int group = ShiftQuant.MAX_GROUP;
    int k = 2 * group;
    byte[] minus = new byte[k];
    java.util.Arrays.fill(minus, (byte) -128);
    for (Int8Backend be : List.of(REF, nat)) {
      try (Int8Buffer a = s8(minus);
          Int8Buffer b = s8(minus);
          Int32Buffer e = s32(new int[] {ShiftQuant.SPAN - 3, -3});
          Float32Buffer c = alloc.allocateFloat32(1)) {
        be.gemmShiftS8S8F32(GemmDesc.of(1, 1, k), a, b, group, e, 1f, c);
        // 2^30 * 2^21 + 2^30 * 2^-3: exact in int64, one rounding to float
        assertEquals((float) (Math.scalb(1.0, 51) + Math.scalb(1.0, 27)), c.get(0), be.name());
      }
    }
  }

  @Test
  void badInputIsRejectedWithTheValueAndWhatWasExpected() {
    for (Int8Backend be : List.of(REF, nat)) {
      try (Int8Buffer a = alloc.allocateInt8(8);
          Int8Buffer b = alloc.allocateInt8(8);
          Int32Buffer e = s32(new int[] {0, ShiftQuant.SPAN + 1});
          Float32Buffer c = alloc.allocateFloat32(4);
          Float32Buffer x = f32(new float[] {1f, Float.NaN, 2f, 3f});
          Float32Buffer clip = f32(new float[] {-1f});
          Float32Buffer finite = f32(new float[] {1f, 2f, 3f, 4f});
          Int8Buffer q = alloc.allocateInt8(4)) {
        var spread = assertThrows(IllegalArgumentException.class,
            () -> be.gemmShiftS8S8F32(GemmDesc.of(1, 1, 8), a, b, 4, e, 1f, c));
        assertTrue(spread.getMessage().contains("row 0 has exponents 0..25"), spread.getMessage());
        var group = assertThrows(IllegalArgumentException.class,
            () -> be.gemmShiftS8S8F32(GemmDesc.of(1, 1, 8), a, b, 0, e, 1f, c));
        assertTrue(group.getMessage().contains("group=0"), group.getMessage());
        QuantDesc perRow = new QuantDesc(1, 4, 4, Granularity.PER_ROW, 0, Rounding.NEAREST, true,
            0, 0);
        var desc = assertThrows(IllegalArgumentException.class,
            () -> be.shiftQuantize(perRow, x, null, q, e));
        assertTrue(desc.getMessage().contains("expected PER_GROUP"), desc.getMessage());
        QuantDesc groups = perRow.withGroups(2, true);
        var nan = assertThrows(IllegalArgumentException.class,
            () -> be.shiftQuantize(groups, x, null, q, e));
        assertTrue(nan.getMessage().contains("non-finite"), nan.getMessage());
        var badClip = assertThrows(IllegalArgumentException.class,
            () -> be.shiftQuantize(groups, finite, clip, q, e));
        assertTrue(badClip.getMessage().contains("clip[0] = -1"), badClip.getMessage());
      }
    }
  }
}
