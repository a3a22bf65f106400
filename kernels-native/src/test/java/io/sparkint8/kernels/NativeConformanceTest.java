package io.sparkint8.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkint8.kernels.jni.NativeBackend;
import io.sparkint8.kernels.memory.Float32Buffer;
import io.sparkint8.kernels.memory.Int32Buffer;
import io.sparkint8.kernels.memory.Int8Buffer;
import io.sparkint8.kernels.memory.OffHeapAllocator;
import io.sparkint8.kernels.ref.JavaBackend;
import io.sparkint8.kernels.spi.Axis;
import io.sparkint8.kernels.spi.ConvDesc;
import io.sparkint8.kernels.spi.Epilogue;
import io.sparkint8.kernels.spi.GemmDesc;
import io.sparkint8.kernels.spi.Granularity;
import io.sparkint8.kernels.spi.Int8Backend;
import io.sparkint8.kernels.spi.PackedB;
import io.sparkint8.kernels.spi.QuantDesc;
import io.sparkint8.kernels.spi.Rounding;
import io.sparkint8.kernels.spi.Trans;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Every operation of the native backend equals the Java reference bit for bit, on at least 200 random
 * cases per operation with awkward shapes and extreme values, on the ISA path this JVM runs (CI runs the
 * suite once per path through INT8K_MAX_ISA). Each case message carries the seed that reproduces it.
 */
class NativeConformanceTest {
  static final int CASES = 200;
  static final long SEED = Long.getLong("int8.test.seed", 20261122L);

  static NativeBackend nat;
  static final JavaBackend REF = new JavaBackend();
  OffHeapAllocator alloc;

  @BeforeAll
  static void describe() {
    nat = NativeTestSupport.nativeBackend();
    System.out.println(
        "conformance: native ISA " + nat.isa() + " (CPU best " + NativeBackend.cpuIsa()
            + ", INT8K_MAX_ISA=" + System.getenv("INT8K_MAX_ISA") + "), seed " + SEED);
  }

  @BeforeEach
  void open() {
    alloc = new OffHeapAllocator("conformance");
  }

  @AfterEach
  void close() {
    alloc.close(); // throws if a test leaked a buffer
  }

  private Float32Buffer f32(float[] v) {
    return alloc.allocateFloat32(v.length).copyFrom(v);
  }

  private Int8Buffer s8(byte[] v) {
    return alloc.allocateInt8(v.length).copyFrom(v);
  }

  // ---- GEMM -------------------------------------------------------------------------------------

  @Test
  void gemmS8MatchesReference() {
    Cases c = new Cases(SEED);
    long nonzero = 0;
    long total = 0;
    for (int t = 0; t < CASES; t++) {
      Trans ta = c.rnd.nextBoolean() ? Trans.N : Trans.T;
      Trans tb = c.rnd.nextBoolean() ? Trans.N : Trans.T;
      int m = c.size(130);
      int n = c.size(t % 10 == 0 ? 255 : 130);
      int k = c.size(t % 7 == 0 ? 600 : 255);
      int lda = (ta == Trans.N ? k : m) + c.rnd.nextInt(3);
      int ldb = (tb == Trans.N ? n : k) + c.rnd.nextInt(3);
      int ldc = n + c.rnd.nextInt(3);
      GemmDesc d = new GemmDesc(ta, tb, m, n, k, lda, ldb, ldc);
      String ctx = "gemm case " + t + " seed " + SEED + " " + d;
      Int8Backend threaded = nat.withThreads(1 + c.rnd.nextInt(3));
      try (Int8Buffer a = s8(c.int8((int) d.spanA()));
          Int8Buffer b = s8(c.int8((int) d.spanB()));
          Int32Buffer want32 = alloc.allocateInt32(d.spanC());
          Int32Buffer got32 = alloc.allocateInt32(d.spanC());
          Float32Buffer rs = f32(c.positive(m));
          Float32Buffer cs = f32(c.positive(n));
          Float32Buffer bias = f32(c.float32(n));
          Float32Buffer old = f32(c.float32((int) d.spanC()));
          Float32Buffer wantF = alloc.allocateFloat32(d.spanC());
          Float32Buffer gotF = alloc.allocateFloat32(d.spanC());
          PackedB packed = threaded.packB(alloc, tb, k, n, ldb, b)) {
        REF.gemmS8S8S32(d, a, b, want32);
        threaded.gemmS8S8S32(d, a, b, got32);
        int[] want = want32.toArray();
        Compare.same(want, got32.toArray(), ctx + " s32");
        got32.zero();
        threaded.gemmS8S8S32(d, a, packed, got32);
        Compare.same(want, got32.toArray(), ctx + " s32 packed");
        for (int i = 0; i < m; i++) {
          for (int j = 0; j < n; j++) {
            total++;
            nonzero += want[i * ldc + j] != 0 ? 1 : 0;
          }
        }

        Epilogue ep =
            new Epilogue(
                c.rnd.nextBoolean() ? 1f : (float) c.rnd.nextDouble(-2, 2),
                c.rnd.nextBoolean() ? rs : null,
                c.rnd.nextBoolean() ? cs : null,
                c.rnd.nextBoolean() ? bias : null,
                c.rnd.nextInt(3) == 0 ? (float) c.rnd.nextDouble(-1, 1) : 0f);
        float[] oldValues = old.toArray();
        wantF.copyFrom(oldValues);
        REF.gemmS8S8F32(d, a, b, ep, wantF);
        gotF.copyFrom(oldValues);
        threaded.gemmS8S8F32(d, a, b, ep, gotF);
        float[] wantValues = wantF.toArray();
        Compare.sameBits(wantValues, gotF.toArray(), ctx + " f32 " + ep);
        gotF.copyFrom(oldValues);
        threaded.gemmS8S8F32(d, a, packed, ep, gotF);
        Compare.sameBits(wantValues, gotF.toArray(), ctx + " f32 packed " + ep);
      }
    }
    // guard: a reference that is mostly zeros would make agreement meaningless
    assertTrue(nonzero > 0.9 * total, "reference outputs mostly zero: " + nonzero + "/" + total);
  }

  @Test
  void gemmS8ExtremesOverflowNaiveInt16PairSums() {
    // (-128)(-128) + (-128)(-128) = 32768 does not fit int16, and with the +128 shift of u8 x s8 kernels
    // 255 * 127 * 2 does not either: exact kernels must not saturate.
    byte[][] patterns = {{-128, -128}, {127, 127}, {-128, 127}, {127, -128}, {-127, -127}};
    for (byte[] p : patterns) {
      int m = 19;
      int n = 67;
      int k = 259;
      GemmDesc d = GemmDesc.of(m, n, k);
      byte[] av = new byte[m * k];
      byte[] bv = new byte[k * n];
      java.util.Arrays.fill(av, p[0]);
      java.util.Arrays.fill(bv, p[1]);
      try (Int8Buffer a = s8(av);
          Int8Buffer b = s8(bv);
          Int32Buffer c = alloc.allocateInt32((long) m * n)) {
        nat.gemmS8S8S32(d, a, b, c);
        int want = k * p[0] * p[1];
        for (int v : c.toArray()) {
          assertEquals(want, v, "pattern a=" + p[0] + " b=" + p[1]);
        }
      }
    }
  }

  @Test
  void gemmS8StaysExactBeyondTheSinglePassOverflowBound() {
    Cases c = new Cases(SEED + 1);
    int k = 2 * GemmDesc.KMAX + 1003; // three passes, the last one partial
    for (Trans ta : Trans.values()) {
      int m = 3;
      int n = 5;
      GemmDesc d = GemmDesc.of(ta, Trans.N, m, n, k);
      byte[] av = new byte[m * k];
      byte[] bv = new byte[k * n];
      for (int i = 0; i < av.length; i++) {
        av[i] = (byte) (i % 7 == 0 ? c.rnd.nextInt(256) - 128 : 127);
      }
      for (int i = 0; i < bv.length; i++) {
        bv[i] = (byte) (i % 11 == 0 ? c.rnd.nextInt(256) - 128 : 127);
      }
      try (Int8Buffer a = s8(av);
          Int8Buffer b = s8(bv);
          Int32Buffer want32 = alloc.allocateInt32(m * n);
          Int32Buffer got32 = alloc.allocateInt32(m * n);
          Float32Buffer wantF = alloc.allocateFloat32(m * n);
          Float32Buffer gotF = alloc.allocateFloat32(m * n)) {
        REF.gemmS8S8F32(d, a, b, Epilogue.scale(1f), wantF);
        nat.gemmS8S8F32(d, a, b, Epilogue.scale(1f), gotF);
        float[] want = wantF.toArray();
        Compare.sameBits(want, gotF.toArray(), "k=" + k + " f32 " + ta);
        // the sums exceed 2^31: the test really crosses the bound
        for (float v : want) {
          assertTrue(Math.abs(v) > Integer.MAX_VALUE, "sum " + v + " fits int32");
        }
        REF.gemmS8S8S32(d, a, b, want32);
        nat.gemmS8S8S32(d, a, b, got32);
        Compare.same(want32.toArray(), got32.toArray(), "k=" + k + " s32 (mod 2^32) " + ta);
      }
    }
  }

  @Test
  void gemmF32MatchesReferenceBitForBit() {
    Cases c = new Cases(SEED + 2);
    for (int t = 0; t < CASES; t++) {
      Trans ta = c.rnd.nextBoolean() ? Trans.N : Trans.T;
      Trans tb = c.rnd.nextBoolean() ? Trans.N : Trans.T;
      // now and then wide enough for several column blocks and long enough for several k blocks
      boolean big = t % 10 == 0;
      int m = c.size(big ? 20 : 70);
      int n = big ? 480 + c.rnd.nextInt(300) : c.size(130);
      int k = big ? 300 + c.rnd.nextInt(500) : c.size(255);
      int lda = (ta == Trans.N ? k : m) + c.rnd.nextInt(3);
      if (t % 7 == 3 && ta == Trans.N) {
        lda = Math.max(k, 1024); // rows 4 KB apart: the kernels pack A instead of reading it in place
      }
      int ldb = (tb == Trans.N ? n : k) + c.rnd.nextInt(3);
      int ldc = n + c.rnd.nextInt(3);
      GemmDesc d = new GemmDesc(ta, tb, m, n, k, lda, ldb, ldc);
      float alpha = c.rnd.nextBoolean() ? 1f : (float) c.rnd.nextDouble(-2, 2);
      float beta = c.rnd.nextInt(3) > 0 ? 0f : c.rnd.nextBoolean() ? 1f : (float) c.rnd.nextDouble(-1, 1);
      float[] av = c.float32((int) d.spanA());
      float[] bv = c.float32((int) d.spanB());
      float[] cv = c.float32((int) d.spanC());
      if (t % 6 == 5) { // non-finite inputs propagate the same way
        float[][] targets = {av, bv, cv};
        float[] specials = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, -0f,
            Float.MIN_VALUE};
        for (int x = 0; x < 4; x++) {
          float[] v = targets[c.rnd.nextInt(3)];
          v[c.rnd.nextInt(v.length)] = specials[c.rnd.nextInt(specials.length)];
        }
      }
      String ctx = "sgemm case " + t + " seed " + SEED + " " + d + " alpha " + alpha + " beta " + beta;
      Int8Backend threaded = nat.withThreads(1 + c.rnd.nextInt(3));
      try (Float32Buffer a = f32(av);
          Float32Buffer b = f32(bv);
          Float32Buffer want = f32(cv);
          Float32Buffer got = f32(cv)) {
        REF.gemmF32(d, alpha, a, b, beta, want);
        threaded.gemmF32(d, alpha, a, b, beta, got);
        float[] w = want.toArray();
        Compare.sameBits(w, got.toArray(), ctx + " threads " + threaded.threads());
        got.copyFrom(cv);
        threaded.gemmF32(d, alpha, a, b, beta, got);
        Compare.sameBits(w, got.toArray(), ctx + " repeated");
      }
    }
  }

  @Test
  void gemmF32BitsDoNotDependOnTheThreadCount() {
    Cases c = new Cases(SEED + 11);
    // tall (split by rows) and wide (split by columns), each with several k blocks; the last has few
    // rows and a wide B (the kernels' small-m order, up to 128 rows, with partial row panels)
    int[][] shapes = {{301, 517, 700}, {19, 1100, 650}, {121, 1100, 700}};
    for (int[] s : shapes) {
      for (Trans ta : Trans.values()) {
        GemmDesc d = GemmDesc.of(ta, Trans.N, s[0], s[1], s[2]);
        try (Float32Buffer a = f32(c.float32((int) d.spanA()));
            Float32Buffer b = f32(c.float32((int) d.spanB()));
            Float32Buffer want = alloc.allocateFloat32(d.spanC());
            Float32Buffer got = alloc.allocateFloat32(d.spanC())) {
          REF.gemmF32(d, 1f, a, b, 0f, want);
          float[] w = want.toArray();
          for (int threads = 1; threads <= 4; threads++) {
            nat.withThreads(threads).gemmF32(d, 1f, a, b, 0f, got);
            Compare.sameBits(w, got.toArray(), d + " threads " + threads);
          }
        }
      }
    }
  }

  @Test
  void gemmS8BitsDoNotDependOnTheThreadCount() {
    Cases c = new Cases(SEED + 12);
    // threads split the rows (sharing one packed B) or, where B is wide, the columns (each packing its
    // part, the epilogue's column scales and bias offset with it); B^T on the second shape
    int[][] shapes = {{301, 517, 700}, {19, 1100, 650}, {130, 1500, 300}};
    for (int x = 0; x < shapes.length; x++) {
      GemmDesc d = GemmDesc.of(Trans.N, x == 1 ? Trans.T : Trans.N, shapes[x][0], shapes[x][1],
          shapes[x][2]);
      try (Int8Buffer a = s8(c.int8((int) d.spanA()));
          Int8Buffer b = s8(c.int8((int) d.spanB()));
          Float32Buffer rs = f32(c.positive(d.m()));
          Float32Buffer cs = f32(c.positive(d.n()));
          Float32Buffer bias = f32(c.float32(d.n()));
          Float32Buffer old = f32(c.float32((int) d.spanC()));
          Int32Buffer want = alloc.allocateInt32(d.spanC());
          Int32Buffer got = alloc.allocateInt32(d.spanC());
          Float32Buffer wantF = alloc.allocateFloat32(d.spanC());
          Float32Buffer gotF = alloc.allocateFloat32(d.spanC())) {
        Epilogue ep = new Epilogue(0.75f, rs, cs, bias, 0.5f);
        REF.gemmS8S8S32(d, a, b, want);
        int[] w = want.toArray();
        wantF.copyFrom(old.toArray());
        REF.gemmS8S8F32(d, a, b, ep, wantF);
        float[] wf = wantF.toArray();
        for (int threads = 1; threads <= 4; threads++) {
          nat.withThreads(threads).gemmS8S8S32(d, a, b, got);
          Compare.same(w, got.toArray(), d + " threads " + threads);
          gotF.copyFrom(old.toArray());
          nat.withThreads(threads).gemmS8S8F32(d, a, b, ep, gotF);
          Compare.sameBits(wf, gotF.toArray(), d + " epilogue, threads " + threads);
        }
      }
    }
  }

  @Test
  void gemmS8WithKLongerThanOnePackedPanelMatchesReference() {
    // k beyond 16384 (a VNNI panel of B over 1 MB): B is packed per k block and shared by row chunks
    Cases c = new Cases(SEED + 13);
    for (int t = 0; t < 4; t++) {
      Trans ta = t % 2 == 0 ? Trans.N : Trans.T;
      Trans tb = t < 2 ? Trans.N : Trans.T;
      GemmDesc d = GemmDesc.of(ta, tb, c.size(20), c.size(130), 16385 + c.rnd.nextInt(3000));
      try (Int8Buffer a = s8(c.int8((int) d.spanA()));
          Int8Buffer b = s8(c.int8((int) d.spanB()));
          Float32Buffer rs = f32(c.positive(d.m()));
          Float32Buffer want = alloc.allocateFloat32(d.spanC());
          Float32Buffer got = alloc.allocateFloat32(d.spanC())) {
        Epilogue ep = new Epilogue(0.5f, rs, null, null, 0f);
        REF.gemmS8S8F32(d, a, b, ep, want);
        nat.withThreads(1 + t % 2).gemmS8S8F32(d, a, b, ep, got);
        Compare.sameBits(want.toArray(), got.toArray(), "long k " + d);
      }
    }
  }

  // ---- quantization -----------------------------------------------------------------------------

  @Test
  void quantizeAndDequantizeMatchReference() {
    Cases c = new Cases(SEED + 3);
    for (int t = 0; t < CASES; t++) {
      int rows = c.size(64);
      int cols = c.size(300);
      Granularity g = Granularity.values()[c.rnd.nextInt(3)];
      QuantDesc d =
          new QuantDesc(
              rows,
              cols,
              2 + c.rnd.nextInt(7),
              g,
              1 + c.rnd.nextInt(Math.max(1, cols + 3)),
              c.rnd.nextBoolean() ? Rounding.NEAREST : Rounding.STOCHASTIC,
              c.rnd.nextInt(3) == 0,
              c.rnd.nextLong(),
              c.rnd.nextLong());
      String ctx = "quantize case " + t + " seed " + SEED + " " + d;
      float[] x = c.float32(d.count());
      try (Float32Buffer src = f32(x);
          Float32Buffer clip = c.rnd.nextBoolean() ? null : clipValues(c, d, x);
          Int8Buffer wantQ = alloc.allocateInt8(d.count());
          Int8Buffer gotQ = alloc.allocateInt8(d.count());
          Float32Buffer wantS = alloc.allocateFloat32(d.groups());
          Float32Buffer gotS = alloc.allocateFloat32(d.groups());
          Float32Buffer wantX = alloc.allocateFloat32(d.count());
          Float32Buffer gotX = alloc.allocateFloat32(d.count())) {
        REF.quantize(d, src, clip, wantQ, wantS);
        nat.quantize(d, src, clip, gotQ, gotS);
        byte[] codes = wantQ.toArray();
        Compare.same(codes, gotQ.toArray(), ctx + " codes");
        Compare.sameBits(wantS.toArray(), gotS.toArray(), ctx + " scales");
        int qmax = d.qmax();
        for (byte q : codes) {
          assertTrue(q >= -qmax && q <= qmax, ctx + ": code " + q + " outside +-" + qmax);
        }
        REF.dequantize(d, wantQ, wantS, wantX);
        nat.dequantize(d, wantQ, wantS, gotX);
        Compare.sameBits(wantX.toArray(), gotX.toArray(), ctx + " dequantize");
      }
    }
  }

  @Test
  void quantizeTransposedIsQuantizeOfTheTranspose() {
    Cases c = new Cases(SEED + 19);
    for (int t = 0; t < CASES; t++) {
      int rows = t % 5 == 0 ? 1 + c.rnd.nextInt(3) : c.size(t % 7 == 0 ? 255 : 70);
      int cols = c.size(t % 3 == 0 ? 300 : 65);
      QuantDesc d = new QuantDesc(rows, cols, 2 + c.rnd.nextInt(7),
          c.rnd.nextBoolean() ? Granularity.PER_ROW : Granularity.PER_TENSOR, 0,
          c.rnd.nextBoolean() ? Rounding.NEAREST : Rounding.STOCHASTIC, c.rnd.nextInt(3) == 0,
          c.rnd.nextLong(), c.rnd.nextLong());
      String ctx = "quantizeTransposed case " + t + " seed " + SEED + " " + d;
      float[] x = c.float32(d.count()); // the matrix, rows x cols
      float[] xt = new float[x.length];
      for (int r = 0; r < rows; r++) {
        for (int col = 0; col < cols; col++) {
          xt[col * rows + r] = x[r * cols + col];
        }
      }
      try (Float32Buffer src = f32(x);
          Float32Buffer srcT = f32(xt);
          Float32Buffer clip = clipValues(c, d, x);
          Int8Buffer wantQ = alloc.allocateInt8(d.count());
          Int8Buffer refQ = alloc.allocateInt8(d.count());
          Int8Buffer gotQ = alloc.allocateInt8(d.count());
          Float32Buffer wantS = alloc.allocateFloat32(d.groups());
          Float32Buffer refS = alloc.allocateFloat32(d.groups());
          Float32Buffer gotS = alloc.allocateFloat32(d.groups())) {
        REF.quantize(d, src, clip, wantQ, wantS);
        REF.quantizeTransposed(d, srcT, clip, refQ, refS);
        nat.quantizeTransposed(d, srcT, clip, gotQ, gotS);
        Compare.same(wantQ.toArray(), refQ.toArray(), ctx + " reference codes");
        Compare.same(wantQ.toArray(), gotQ.toArray(), ctx + " codes");
        Compare.sameBits(wantS.toArray(), gotS.toArray(), ctx + " scales");
      }
    }
    // a NaN anywhere is refused, as quantize refuses it
    QuantDesc d = new QuantDesc(3, 5, 8, Granularity.PER_ROW, 0, Rounding.STOCHASTIC, false, 1, 2);
    float[] xt = new float[15];
    xt[14] = Float.NaN;
    for (Int8Backend b : new Int8Backend[] {REF, nat}) {
      try (Float32Buffer srcT = f32(xt);
          Float32Buffer clip = f32(new float[] {1f, 1f, 1f});
          Int8Buffer q = alloc.allocateInt8(15);
          Float32Buffer sc = alloc.allocateFloat32(3)) {
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(
            IllegalArgumentException.class, () -> b.quantizeTransposed(d, srcT, clip, q, sc));
        assertTrue(e.getMessage().toLowerCase(java.util.Locale.ROOT).contains("finite"),
            b.name() + ": " + e.getMessage());
      }
    }
  }

  /** Clip values per group: a fraction of the group's max (clipping some values), sometimes zero. */
  private Float32Buffer clipValues(Cases c, QuantDesc d, float[] x) {
    float[] clip = new float[d.groups()];
    for (int i = 0; i < clip.length; i++) {
      clip[i] = c.rnd.nextInt(10) == 0 ? 0f : (float) c.rnd.nextDouble(0.05, 1.5);
    }
    float amax = 0;
    for (float v : x) {
      amax = Math.max(amax, Math.abs(v));
    }
    for (int i = 0; i < clip.length; i++) {
      clip[i] *= amax;
    }
    return f32(clip);
  }

  // ---- statistics -------------------------------------------------------------------------------

  @Test
  void absmaxMatchesReferenceIncludingNaNAndInfinity() {
    Cases c = new Cases(SEED + 4);
    for (int t = 0; t < CASES; t++) {
      int rows = c.size(100);
      int cols = c.size(300);
      float[] x = c.float32(rows * cols);
      if (t % 10 == 3) {
        x[c.rnd.nextInt(x.length)] = Float.NaN;
      } else if (t % 10 == 7) {
        x[c.rnd.nextInt(x.length)] = Float.NEGATIVE_INFINITY;
      }
      for (Axis axis : Axis.values()) {
        int outs = (int) axis.outputs(rows, cols);
        try (Float32Buffer src = f32(x);
            Float32Buffer want = alloc.allocateFloat32(outs);
            Float32Buffer got = alloc.allocateFloat32(outs)) {
          REF.absmax(rows, cols, src, axis, want);
          nat.absmax(rows, cols, src, axis, got);
          Compare.sameBits(want.toArray(), got.toArray(),
              "absmax case " + t + " " + rows + "x" + cols + " " + axis);
        }
      }
    }
  }

  @Test
  void channelFractionAboveStdMatchesReference() {
    Cases c = new Cases(SEED + 5);
    for (int t = 0; t < CASES; t++) {
      int rows = c.size(300);
      int cols = c.size(70);
      try (Float32Buffer src = f32(c.float32(rows * cols));
          Float32Buffer want = alloc.allocateFloat32(cols);
          Float32Buffer got = alloc.allocateFloat32(cols)) {
        REF.channelFractionAboveStd(rows, cols, src, want);
        nat.channelFractionAboveStd(rows, cols, src, got);
        Compare.sameBits(want.toArray(), got.toArray(),
            "fractionAboveStd case " + t + " " + rows + "x" + cols);
      }
    }
  }

  @Test
  void clipCosineDeviationMatchesReference() {
    Cases c = new Cases(SEED + 6);
    for (int t = 0; t < CASES; t++) {
      // now and then several of the vector kernels' blocks of 2048 elements, and a tail
      int count = t % 10 == 0 ? 3 * 2048 + c.size(100) : c.size(2000);
      float[] x = c.float32(count);
      float amax = 0;
      for (float v : x) {
        amax = Math.max(amax, Math.abs(v));
      }
      float[] cand = new float[1 + c.rnd.nextInt(12)];
      for (int i = 0; i < cand.length; i++) {
        cand[i] = (amax > 0 ? amax : 1f) * (float) c.rnd.nextDouble(0.01, 1.2);
      }
      int bits = 2 + c.rnd.nextInt(7);
      try (Float32Buffer src = f32(x)) {
        Compare.sameBits(
            REF.clipCosineDeviation(src, count, bits, cand),
            nat.clipCosineDeviation(src, count, bits, cand),
            "clipCosineDeviation case " + t + " count " + count + " bits " + bits);
        double[] sums = nat.clipCosineSums(src, count, bits, cand);
        assertEquals(2 * cand.length + 1, sums.length, "clipCosineSums length");
        Compare.sameBits(REF.clipCosineSums(src, count, bits, cand), sums,
            "clipCosineSums case " + t + " count " + count + " bits " + bits);
      }
    }
  }

  // ---- windows ----------------------------------------------------------------------------------

  private ConvDesc randomWindow(Cases c, boolean pooling) {
    while (true) {
      int kh = 1 + c.rnd.nextInt(4);
      int kw = 1 + c.rnd.nextInt(4);
      int ph = c.rnd.nextInt(pooling ? kh : 3);
      int pw = c.rnd.nextInt(pooling ? kw : 3);
      int h = 1 + c.rnd.nextInt(12);
      int w = 1 + c.rnd.nextInt(12);
      if (h + 2 * ph < kh || w + 2 * pw < kw) {
        continue;
      }
      return new ConvDesc(1 + c.rnd.nextInt(3), h, w, c.size(70), kh, kw, 1 + c.rnd.nextInt(3),
          1 + c.rnd.nextInt(3), ph, pw);
    }
  }

  @Test
  void im2colAndCol2imMatchReference() {
    Cases c = new Cases(SEED + 7);
    for (int t = 0; t < CASES; t++) {
      ConvDesc d = randomWindow(c, false);
      String ctx = "window case " + t + " " + d;
      int cells = d.colRows() * d.colCols();
      try (Int8Buffer img8 = s8(c.int8(d.inputSize()));
          Float32Buffer img32 = f32(c.float32(d.inputSize()));
          Int8Buffer want8 = alloc.allocateInt8(cells);
          Int8Buffer got8 = alloc.allocateInt8(cells);
          Float32Buffer want32 = alloc.allocateFloat32(cells);
          Float32Buffer got32 = alloc.allocateFloat32(cells);
          Float32Buffer colsF = f32(c.float32(cells));
          Int32Buffer colsI = alloc.allocateInt32(cells);
          Float32Buffer wantImg = alloc.allocateFloat32(d.inputSize());
          Float32Buffer gotImg = alloc.allocateFloat32(d.inputSize());
          Int32Buffer wantImgI = alloc.allocateInt32(d.inputSize());
          Int32Buffer gotImgI = alloc.allocateInt32(d.inputSize())) {
        REF.im2col(d, img8, want8);
        nat.im2col(d, img8, got8);
        Compare.same(want8.toArray(), got8.toArray(), ctx + " im2col s8");
        REF.im2col(d, img32, want32);
        nat.im2col(d, img32, got32);
        Compare.sameBits(want32.toArray(), got32.toArray(), ctx + " im2col f32");
        REF.col2im(d, colsF, wantImg);
        gotImg.copyFrom(c.float32(d.inputSize())); // must be overwritten, not accumulated into
        nat.col2im(d, colsF, gotImg);
        Compare.sameBits(wantImg.toArray(), gotImg.toArray(), ctx + " col2im f32");
        int[] iv = new int[cells];
        for (int i = 0; i < cells; i++) {
          iv[i] = c.rnd.nextInt();
        }
        colsI.copyFrom(iv);
        REF.col2im(d, colsI, wantImgI);
        nat.col2im(d, colsI, gotImgI);
        Compare.same(wantImgI.toArray(), gotImgI.toArray(), ctx + " col2im s32");
      }
    }
  }

  @Test
  void maxPoolForwardAndBackwardMatchReference() {
    Cases c = new Cases(SEED + 8);
    for (int t = 0; t < CASES; t++) {
      ConvDesc d = randomWindow(c, true);
      String ctx = "maxpool case " + t + " " + d;
      try (Int8Buffer src = s8(c.int8(d.inputSize()));
          Int8Buffer wantY = alloc.allocateInt8(d.pooledSize());
          Int8Buffer gotY = alloc.allocateInt8(d.pooledSize());
          Int32Buffer wantArg = alloc.allocateInt32(d.pooledSize());
          Int32Buffer gotArg = alloc.allocateInt32(d.pooledSize());
          Float32Buffer gradOut = f32(c.float32(d.pooledSize()));
          Float32Buffer wantG = alloc.allocateFloat32(d.inputSize());
          Float32Buffer gotG = alloc.allocateFloat32(d.inputSize())) {
        REF.maxPool(d, src, wantY, wantArg);
        nat.maxPool(d, src, gotY, gotArg);
        Compare.same(wantY.toArray(), gotY.toArray(), ctx + " values");
        Compare.same(wantArg.toArray(), gotArg.toArray(), ctx + " argmax");
        REF.maxPoolBackward(d, gradOut, wantArg, wantG);
        gotG.copyFrom(c.float32(d.inputSize()));
        nat.maxPoolBackward(d, gradOut, wantArg, gotG);
        Compare.sameBits(wantG.toArray(), gotG.toArray(), ctx + " backward");
      }
    }
  }

  @Test
  void tilingMaxPoolBackwardMatchesReference() {
    Cases c = new Cases(SEED + 18);
    ConvDesc[] shapes = {
      new ConvDesc(3, 7, 5, 3, 2, 2, 2, 2, 0, 0), // rows and columns left over
      new ConvDesc(2, 4, 4, 17, 2, 2, 2, 2, 0, 0),
      new ConvDesc(1, 10, 9, 5, 3, 3, 3, 3, 0, 0),
      new ConvDesc(2, 1, 1, 255, 1, 1, 1, 1, 0, 0)
    };
    for (ConvDesc d : shapes) {
      for (boolean foreign : new boolean[] {false, true}) {
        String ctx = "tiling maxpool " + d + (foreign ? " with argmax outside its window" : "");
        float[] g = c.float32(d.pooledSize());
        g[0] = -0f; // +0 + -0 is +0: the row path must add, not store
        try (Float32Buffer src = f32(c.float32(d.inputSize()));
            Float32Buffer y = alloc.allocateFloat32(d.pooledSize());
            Int32Buffer arg = alloc.allocateInt32(d.pooledSize());
            Float32Buffer gradOut = f32(g);
            Float32Buffer wantG = alloc.allocateFloat32(d.inputSize());
            Float32Buffer gotG = alloc.allocateFloat32(d.inputSize())) {
          REF.maxPoolF32(d, src, y, arg);
          if (foreign) {
            int[] a = arg.toArray();
            a[a.length - 1] = 0; // valid, but in the first window row
            arg.copyFrom(a);
          }
          REF.maxPoolBackward(d, gradOut, arg, wantG);
          gotG.copyFrom(c.float32(d.inputSize()));
          nat.maxPoolBackward(d, gradOut, arg, gotG);
          Compare.sameBits(wantG.toArray(), gotG.toArray(), ctx);
        }
      }
    }
  }

  @Test
  void reluForwardAndBackwardMatchReference() {
    Cases c = new Cases(SEED + 9);
    for (int t = 0; t < CASES; t++) {
      int count = c.size(5000);
      try (Int8Buffer src = s8(c.int8(count));
          Int8Buffer wantY = alloc.allocateInt8(count);
          Int8Buffer gotY = alloc.allocateInt8(count);
          Int8Buffer wantM = alloc.allocateInt8(count);
          Int8Buffer gotM = alloc.allocateInt8(count);
          Float32Buffer grad = f32(c.float32(count));
          Float32Buffer wantG = alloc.allocateFloat32(count);
          Float32Buffer gotG = alloc.allocateFloat32(count)) {
        REF.relu(count, src, wantY, wantM);
        nat.relu(count, src, gotY, gotM);
        Compare.same(wantY.toArray(), gotY.toArray(), "relu case " + t + " values");
        Compare.same(wantM.toArray(), gotM.toArray(), "relu case " + t + " mask");
        REF.reluBackward(count, grad, wantM, wantG);
        nat.reluBackward(count, grad, wantM, gotG);
        Compare.sameBits(wantG.toArray(), gotG.toArray(), "relu case " + t + " backward");
      }
    }
  }
}
