package io.sparkint8.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.sparkint8.kernels.BadInputTest;
import io.sparkint8.kernels.Cases;
import io.sparkint8.kernels.Compare;
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
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Every operation of the CUDA backend equals the Java reference bit for bit (the fp32 GEMM within
 * rounding), on the same kind of random cases as NativeConformanceTest (awkward sizes 1, 3, 17, 255, K
 * not a multiple of 4/16/32/64, extreme values), plus GPU-sized GEMMs that cross the 128 x 128 tiles. It
 * runs each case on the device's own target (tensor cores from sm_80) and again on the sm_75 DP4A path,
 * which every newer GPU can run too. Needs a GPU: without one it skips with the reason printed, and
 * -Dint8.test.requireCuda=true turns the skip into a failure.
 */
class CudaConformanceTest {
  static final int CASES = Integer.getInteger("int8.test.cudaCases", 200);
  static final long SEED = Long.getLong("int8.test.seed", 20261122L);
  static final JavaBackend REF = new JavaBackend();
  static final List<CudaBackend> BACKENDS = new ArrayList<>();
  static CudaDevice dp4aDevice;
  /** A fast reference for large GEMMs: the native backend (itself bit-exact with Java), else Java. */
  static Int8Backend bigRef;
  OffHeapAllocator alloc;

  @BeforeAll
  static void findGpu() {
    int ordinal = CudaBackend.defaultDevice();
    String reason = CudaBackend.unavailableReason(ordinal);
    if (reason != null) {
      if (Boolean.getBoolean("int8.test.requireCuda")) {
        fail("CUDA backend required (-Dint8.test.requireCuda=true) but unavailable: " + reason);
      }
      System.out.println("SKIPPED CUDA conformance: " + reason);
      Assumptions.assumeTrue(false, reason);
    }
    CudaBackend main = CudaBackend.create(ordinal);
    BACKENDS.add(main);
    CudaDevice device = main.device().device();
    if (device.target() != PtxTarget.SM_75) {
      dp4aDevice = CudaDevice.open(new JCudaDriverBinding(), ordinal, PtxSource.fromSystem(), "sm_75");
      BACKENDS.add(CudaBackend.on(dp4aDevice));
    }
    bigRef = NativeBackend.unavailableReason() == null ? NativeBackend.create() : REF;
    System.out.println("CUDA conformance on " + device.info() + ", PTX by " + device.ptx().toolkit()
        + ", paths " + BACKENDS.stream().map(CudaBackend::isa).toList() + ", seed " + SEED
        + ", large GEMMs against " + bigRef);
  }

  @AfterAll
  static void closeExtraDevice() {
    BACKENDS.clear();
    if (dp4aDevice != null) {
      dp4aDevice.close();
    }
  }

  @BeforeEach
  void open() {
    alloc = new OffHeapAllocator("cuda-conformance");
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

  // ---- GEMM -------------------------------------------------------------------------------------

  @Test
  void gemmS8MatchesReference() {
    for (CudaBackend be : BACKENDS) {
      Cases c = new Cases(SEED);
      long nonzero = 0;
      long total = 0;
      for (int t = 0; t < CASES; t++) {
        Trans ta = c.rnd.nextBoolean() ? Trans.N : Trans.T;
        Trans tb = c.rnd.nextBoolean() ? Trans.N : Trans.T;
        int m = c.size(t % 10 == 0 ? 300 : 130);
        int n = c.size(t % 10 == 0 ? 255 : 130);
        int k = c.size(t % 7 == 0 ? 600 : 255);
        // every few cases, leading dimensions that keep the operands in place (multiples of 16)
        boolean aligned = t % 4 == 0;
        int lda = aligned ? align16(ta == Trans.N ? k : m) : (ta == Trans.N ? k : m) + c.rnd.nextInt(3);
        int ldb = aligned ? align16(tb == Trans.N ? n : k) : (tb == Trans.N ? n : k) + c.rnd.nextInt(3);
        int ldc = n + c.rnd.nextInt(3);
        GemmDesc d = new GemmDesc(ta, tb, m, n, k, lda, ldb, ldc);
        String ctx = be.isa() + " gemm case " + t + " seed " + SEED + " " + d;
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
            PackedB packed = be.packB(alloc, tb, k, n, ldb, b)) {
          REF.gemmS8S8S32(d, a, b, want32);
          be.gemmS8S8S32(d, a, b, got32);
          int[] want = want32.toArray();
          Compare.same(want, got32.toArray(), ctx + " s32");
          got32.zero();
          be.gemmS8S8S32(d, a, packed, got32);
          Compare.same(want, got32.toArray(), ctx + " s32 packed");
          for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
              total++;
              nonzero += want[i * ldc + j] != 0 ? 1 : 0;
            }
          }
          Epilogue ep = new Epilogue(
              c.rnd.nextBoolean() ? 1f : (float) c.rnd.nextDouble(-2, 2),
              c.rnd.nextBoolean() ? rs : null,
              c.rnd.nextBoolean() ? cs : null,
              c.rnd.nextBoolean() ? bias : null,
              c.rnd.nextInt(3) == 0 ? (float) c.rnd.nextDouble(-1, 1) : 0f);
          float[] oldValues = old.toArray();
          wantF.copyFrom(oldValues);
          REF.gemmS8S8F32(d, a, b, ep, wantF);
          gotF.copyFrom(oldValues);
          be.gemmS8S8F32(d, a, b, ep, gotF);
          float[] wantValues = wantF.toArray();
          Compare.sameBits(wantValues, gotF.toArray(), ctx + " f32 " + ep);
          gotF.copyFrom(oldValues);
          be.gemmS8S8F32(d, a, packed, ep, gotF);
          Compare.sameBits(wantValues, gotF.toArray(), ctx + " f32 packed " + ep);
        }
      }
      assertTrue(nonzero > 0.9 * total, "reference outputs mostly zero: " + nonzero + "/" + total);
    }
  }

  private static int align16(int v) {
    return (v + 15) / 16 * 16;
  }

  /**
   * Shapes of the size the GPU is for: many 128 x 128 tiles, K tails, all four transposes, and the
   * skinny grad_weight shapes of conv training (cout x kh*kw*cin outputs, N*H*W reduced) that run
   * split-K with int64 atomics; the fp32 epilogue with every operand, beta included.
   */
  @Test
  void largeGemmsMatchReference() {
    int[][] shapes = {{128, 128, 64}, {256, 384, 1024}, {1000, 999, 777}, {3136, 64, 576},
        {64, 1000, 4097}, {513, 257, 31}, {1, 4096, 4096}, {16, 144, 65536}, {64, 576, 16384},
        {32, 288, 50000}};
    for (CudaBackend be : BACKENDS) {
      Cases c = new Cases(SEED + 10);
      for (int[] s : shapes) {
        for (Trans ta : Trans.values()) {
          for (Trans tb : Trans.values()) {
            GemmDesc d = GemmDesc.of(ta, tb, s[0], s[1], s[2]);
            String ctx = be.isa() + " large gemm " + d;
            float[] oldValues = c.float32((int) d.spanC());
            try (Int8Buffer a = s8(c.int8((int) d.spanA()));
                Int8Buffer b = s8(c.int8((int) d.spanB()));
                Float32Buffer rs = f32(c.positive(d.m()));
                Float32Buffer cs = f32(c.positive(d.n()));
                Float32Buffer bias = f32(c.float32(d.n()));
                Int32Buffer want = alloc.allocateInt32(d.spanC());
                Int32Buffer got = alloc.allocateInt32(d.spanC());
                Float32Buffer wantF = f32(oldValues);
                Float32Buffer gotF = f32(oldValues)) {
              bigRef.gemmS8S8S32(d, a, b, want);
              be.gemmS8S8S32(d, a, b, got);
              Compare.same(want.toArray(), got.toArray(), ctx + " s32");
              Epilogue ep = new Epilogue(0.5f, rs, cs, bias, 0.25f);
              bigRef.gemmS8S8F32(d, a, b, ep, wantF);
              be.gemmS8S8F32(d, a, b, ep, gotF);
              Compare.sameBits(wantF.toArray(), gotF.toArray(), ctx + " f32 " + ep);
            }
          }
        }
      }
    }
  }

  @Test
  void gemmS8ExtremesOverflowNaiveInt16PairSums() {
    byte[][] patterns = {{-128, -128}, {127, 127}, {-128, 127}, {127, -128}, {-127, -127}};
    for (CudaBackend be : BACKENDS) {
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
          be.gemmS8S8S32(d, a, b, c);
          int want = k * p[0] * p[1];
          for (int v : c.toArray()) {
            assertEquals(want, v, be.isa() + " pattern a=" + p[0] + " b=" + p[1]);
          }
        }
      }
    }
  }

  @Test
  void gemmS8StaysExactBeyondTheSinglePassOverflowBound() {
    for (CudaBackend be : BACKENDS) {
      Cases c = new Cases(SEED + 1);
      int k = 2 * GemmDesc.KMAX + 1003;
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
          be.gemmS8S8F32(d, a, b, Epilogue.scale(1f), gotF);
          float[] want = wantF.toArray();
          Compare.sameBits(want, gotF.toArray(), be.isa() + " k=" + k + " f32 " + ta);
          for (float v : want) {
            assertTrue(Math.abs(v) > Integer.MAX_VALUE, "sum " + v + " fits int32");
          }
          REF.gemmS8S8S32(d, a, b, want32);
          be.gemmS8S8S32(d, a, b, got32);
          Compare.same(want32.toArray(), got32.toArray(), be.isa() + " k=" + k + " s32 " + ta);
        }
      }
    }
  }

  @Test
  void gemmF32AgreesWithinRounding() {
    for (CudaBackend be : BACKENDS) {
      Cases c = new Cases(SEED + 2);
      for (int t = 0; t < CASES; t++) {
        Trans ta = c.rnd.nextBoolean() ? Trans.N : Trans.T;
        Trans tb = c.rnd.nextBoolean() ? Trans.N : Trans.T;
        GemmDesc d = GemmDesc.of(ta, tb, c.size(70), c.size(70), c.size(130));
        float alpha = (float) c.rnd.nextDouble(-2, 2);
        float beta = c.rnd.nextBoolean() ? 0f : (float) c.rnd.nextDouble(-1, 1);
        float[] av = c.float32((int) d.spanA());
        float[] bv = c.float32((int) d.spanB());
        float[] cv = c.float32((int) d.spanC());
        try (Float32Buffer a = f32(av);
            Float32Buffer b = f32(bv);
            Float32Buffer want = f32(cv);
            Float32Buffer got = f32(cv)) {
          REF.gemmF32(d, alpha, a, b, beta, want);
          be.gemmF32(d, alpha, a, b, beta, got);
          float[] w = want.toArray();
          float[] g = got.toArray();
          for (int i = 0; i < d.m(); i++) {
            for (int j = 0; j < d.n(); j++) {
              double mag = Math.abs(beta * cv[i * d.n() + j]);
              for (int p = 0; p < d.k(); p++) {
                mag += Math.abs(alpha * av[(int) d.indexA(i, p)] * bv[(int) d.indexB(p, j)]);
              }
              double tol = (d.k() + 2) * 2 * Math.ulp(1f) * mag + Float.MIN_NORMAL;
              int at = i * d.n() + j;
              assertTrue(Math.abs(w[at] - g[at]) <= tol,
                  be.isa() + " sgemm case " + t + " " + d + " at " + at + ": " + w[at] + " vs " + g[at]);
            }
          }
        }
      }
    }
  }

  // ---- quantization -----------------------------------------------------------------------------

  @Test
  void quantizeAndDequantizeMatchReference() {
    for (CudaBackend be : BACKENDS) {
      Cases c = new Cases(SEED + 3);
      for (int t = 0; t < CASES; t++) {
        int rows = c.size(64);
        int cols = c.size(300);
        Granularity g = Granularity.values()[c.rnd.nextInt(3)];
        QuantDesc d = new QuantDesc(rows, cols, 2 + c.rnd.nextInt(7), g,
            1 + c.rnd.nextInt(Math.max(1, cols + 3)),
            c.rnd.nextBoolean() ? Rounding.NEAREST : Rounding.STOCHASTIC, c.rnd.nextInt(3) == 0,
            c.rnd.nextLong(), c.rnd.nextLong());
        String ctx = be.isa() + " quantize case " + t + " seed " + SEED + " " + d;
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
          be.quantize(d, src, clip, gotQ, gotS);
          Compare.same(wantQ.toArray(), gotQ.toArray(), ctx + " codes");
          Compare.sameBits(wantS.toArray(), gotS.toArray(), ctx + " scales");
          REF.dequantize(d, wantQ, wantS, wantX);
          be.dequantize(d, wantQ, wantS, gotX);
          Compare.sameBits(wantX.toArray(), gotX.toArray(), ctx + " dequantize");
        }
      }
    }
  }

  /** Millions of elements: many blocks merging one per-tensor maximum, long stochastic streams. */
  @Test
  void largeQuantizationMatchesReference() {
    for (CudaBackend be : BACKENDS) {
      Cases c = new Cases(SEED + 11);
      for (QuantDesc d : new QuantDesc[] {QuantDesc.perTensor(2048, 2500),
          QuantDesc.perRow(4096, 1000).stochastic(3, 4),
          QuantDesc.perRow(1000, 4096).withBits(4).withGroups(64, true).stochastic(5, 6)}) {
        float[] x = c.float32(d.count());
        try (Float32Buffer src = f32(x);
            Int8Buffer wantQ = alloc.allocateInt8(d.count());
            Int8Buffer gotQ = alloc.allocateInt8(d.count());
            Float32Buffer wantS = alloc.allocateFloat32(d.groups());
            Float32Buffer gotS = alloc.allocateFloat32(d.groups())) {
          REF.quantize(d, src, null, wantQ, wantS);
          be.quantize(d, src, null, gotQ, gotS);
          Compare.same(wantQ.toArray(), gotQ.toArray(), be.isa() + " " + d + " codes");
          Compare.sameBits(wantS.toArray(), gotS.toArray(), be.isa() + " " + d + " scales");
        }
      }
    }
  }

  @Test
  void quantizeRejectsWhatTheReferenceRejectsWithItsMessage() {
    for (CudaBackend be : BACKENDS) {
      QuantDesc d = QuantDesc.perRow(4, 3);
      float[] x = {1, 2, 3, 4, 5, 6, 7, Float.POSITIVE_INFINITY, 9, 10, 11, Float.NaN};
      float[] badClip = {1f, -1f, 2f, Float.NaN};
      try (Float32Buffer src = f32(x);
          Float32Buffer clean = f32(new float[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});
          Float32Buffer clip = f32(badClip);
          Int8Buffer q = alloc.allocateInt8(12);
          Float32Buffer s = alloc.allocateFloat32(4)) {
        assertEquals(message(() -> REF.quantize(d, src, null, q, s)),
            message(() -> be.quantize(d, src, null, q, s)), be.isa() + " non-finite group");
        assertEquals(message(() -> REF.quantize(d, clean, clip, q, s)),
            message(() -> be.quantize(d, clean, clip, q, s)), be.isa() + " bad clip");
      }
    }
  }

  private static String message(org.junit.jupiter.api.function.Executable call) {
    return assertThrows(IllegalArgumentException.class, call).getMessage();
  }

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
    for (CudaBackend be : BACKENDS) {
      Cases c = new Cases(SEED + 4);
      for (int t = 0; t < CASES; t++) {
        int rows = c.size(t % 20 == 0 ? 3000 : 100);
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
            be.absmax(rows, cols, src, axis, got);
            Compare.sameBits(want.toArray(), got.toArray(),
                be.isa() + " absmax case " + t + " " + rows + "x" + cols + " " + axis);
          }
        }
      }
    }
  }

  @Test
  void channelFractionAboveStdMatchesReference() {
    for (CudaBackend be : BACKENDS) {
      Cases c = new Cases(SEED + 5);
      for (int t = 0; t < CASES; t++) {
        int rows = c.size(300);
        int cols = c.size(70);
        try (Float32Buffer src = f32(c.float32(rows * cols));
            Float32Buffer want = alloc.allocateFloat32(cols);
            Float32Buffer got = alloc.allocateFloat32(cols)) {
          REF.channelFractionAboveStd(rows, cols, src, want);
          be.channelFractionAboveStd(rows, cols, src, got);
          Compare.sameBits(want.toArray(), got.toArray(),
              be.isa() + " fractionAboveStd case " + t + " " + rows + "x" + cols);
        }
      }
    }
  }

  @Test
  void clipCosineDeviationMatchesReference() {
    for (CudaBackend be : BACKENDS) {
      Cases c = new Cases(SEED + 6);
      for (int t = 0; t < CASES; t++) {
        int count = c.size(2000);
        float[] x = c.float32(count);
        float amax = 0;
        for (float v : x) {
          amax = Math.max(amax, Math.abs(v));
        }
        float[] cand = new float[1 + c.rnd.nextInt(t % 25 == 0 ? 64 : 12)];
        for (int i = 0; i < cand.length; i++) {
          cand[i] = (amax > 0 ? amax : 1f) * (float) c.rnd.nextDouble(0.01, 1.2);
        }
        int bits = 2 + c.rnd.nextInt(7);
        try (Float32Buffer src = f32(x)) {
          Compare.sameBits(REF.clipCosineDeviation(src, count, bits, cand),
              be.clipCosineDeviation(src, count, bits, cand),
              be.isa() + " clipCosineDeviation case " + t + " count " + count + " bits " + bits);
          Compare.sameBits(REF.clipCosineSums(src, count, bits, cand),
              be.clipCosineSums(src, count, bits, cand),
              be.isa() + " clipCosineSums case " + t + " count " + count + " bits " + bits);
        }
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
    for (CudaBackend be : BACKENDS) {
      Cases c = new Cases(SEED + 7);
      for (int t = 0; t < CASES; t++) {
        ConvDesc d = randomWindow(c, false);
        String ctx = be.isa() + " window case " + t + " " + d;
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
          be.im2col(d, img8, got8);
          Compare.same(want8.toArray(), got8.toArray(), ctx + " im2col s8");
          REF.im2col(d, img32, want32);
          be.im2col(d, img32, got32);
          Compare.sameBits(want32.toArray(), got32.toArray(), ctx + " im2col f32");
          REF.col2im(d, colsF, wantImg);
          gotImg.copyFrom(c.float32(d.inputSize()));
          be.col2im(d, colsF, gotImg);
          Compare.sameBits(wantImg.toArray(), gotImg.toArray(), ctx + " col2im f32");
          int[] iv = new int[cells];
          for (int i = 0; i < cells; i++) {
            iv[i] = c.rnd.nextInt();
          }
          colsI.copyFrom(iv);
          REF.col2im(d, colsI, wantImgI);
          be.col2im(d, colsI, gotImgI);
          Compare.same(wantImgI.toArray(), gotImgI.toArray(), ctx + " col2im s32");
        }
      }
    }
  }

  @Test
  void maxPoolForwardAndBackwardMatchReference() {
    for (CudaBackend be : BACKENDS) {
      Cases c = new Cases(SEED + 8);
      for (int t = 0; t < CASES; t++) {
        ConvDesc d = randomWindow(c, true);
        String ctx = be.isa() + " maxpool case " + t + " " + d;
        try (Int8Buffer src = s8(c.int8(d.inputSize()));
            Int8Buffer wantY = alloc.allocateInt8(d.pooledSize());
            Int8Buffer gotY = alloc.allocateInt8(d.pooledSize());
            Int32Buffer wantArg = alloc.allocateInt32(d.pooledSize());
            Int32Buffer gotArg = alloc.allocateInt32(d.pooledSize());
            Float32Buffer gradOut = f32(c.float32(d.pooledSize()));
            Float32Buffer wantG = alloc.allocateFloat32(d.inputSize());
            Float32Buffer gotG = alloc.allocateFloat32(d.inputSize())) {
          REF.maxPool(d, src, wantY, wantArg);
          be.maxPool(d, src, gotY, gotArg);
          Compare.same(wantY.toArray(), gotY.toArray(), ctx + " values");
          Compare.same(wantArg.toArray(), gotArg.toArray(), ctx + " argmax");
          REF.maxPoolBackward(d, gradOut, wantArg, wantG);
          gotG.copyFrom(c.float32(d.inputSize()));
          be.maxPoolBackward(d, gradOut, wantArg, gotG);
          Compare.sameBits(wantG.toArray(), gotG.toArray(), ctx + " backward");
          // argmax pointing anywhere in range (not made by maxPool): the serial path, same result
          int[] anywhere = new int[d.pooledSize()];
          for (int i = 0; i < anywhere.length; i++) {
            anywhere[i] = c.rnd.nextInt(Math.min(d.inputSize(), 4));
          }
          try (Int32Buffer arg = alloc.allocateInt32(anywhere.length).copyFrom(anywhere)) {
            REF.maxPoolBackward(d, gradOut, arg, wantG);
            be.maxPoolBackward(d, gradOut, arg, gotG);
            Compare.sameBits(wantG.toArray(), gotG.toArray(), ctx + " backward, foreign argmax");
          }
        }
      }
    }
  }

  @Test
  void outOfRangeArgmaxIsRejectedLikeTheReference() {
    for (CudaBackend be : BACKENDS) {
      BadInputTest shared = new BadInputTest();
      shared.open();
      try {
        shared.outOfRangeArgmaxIsRejected(be);
        shared.tooSmallBuffersAreRejected(be);
        shared.closedBuffersAndForeignPackingAreRejected(be);
      } finally {
        shared.close();
      }
    }
  }

  @Test
  void reluForwardAndBackwardMatchReference() {
    for (CudaBackend be : BACKENDS) {
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
          be.relu(count, src, gotY, gotM);
          Compare.same(wantY.toArray(), gotY.toArray(), be.isa() + " relu case " + t + " values");
          Compare.same(wantM.toArray(), gotM.toArray(), be.isa() + " relu case " + t + " mask");
          REF.reluBackward(count, grad, wantM, wantG);
          be.reluBackward(count, grad, wantM, gotG);
          Compare.sameBits(wantG.toArray(), gotG.toArray(), be.isa() + " relu case " + t + " bwd");
        }
      }
    }
  }

  // ---- the device-resident API ----------------------------------------------------------------

  /** Weights stay on the device: quantize, pack once, two GEMMs, download only the results. */
  @Test
  void deviceResidentOperationsEqualTheSpi() {
    for (CudaBackend be : BACKENDS) {
      CudaOps ops = be.device();
      Cases c = new Cases(SEED + 12);
      int m = 200;
      int n = 96;
      int k = 300;
      QuantDesc qx = QuantDesc.perRow(m, k);
      QuantDesc qw = QuantDesc.perRow(n, k);
      try (Float32Buffer x = f32(c.float32(m * k));
          Float32Buffer w = f32(c.float32(n * k));
          Int8Buffer xq = alloc.allocateInt8(m * k);
          Int8Buffer wq = alloc.allocateInt8(n * k);
          Float32Buffer xs = alloc.allocateFloat32(m);
          Float32Buffer ws = alloc.allocateFloat32(n);
          Float32Buffer want = alloc.allocateFloat32(m * n);
          Float32Buffer got = alloc.allocateFloat32(m * n);
          DeviceAllocator dev = ops.allocator("resident")) {
        GemmDesc d = GemmDesc.of(Trans.N, Trans.T, m, n, k);
        REF.quantize(qx, x, null, xq, xs);
        REF.quantize(qw, w, null, wq, ws);
        REF.gemmS8S8F32(d, xq, wq, Epilogue.rowsAndColumns(xs, ws), want);

        DeviceBuffer dx = dev.allocate(DType.F32, m * k);
        DeviceBuffer dw = dev.allocate(DType.F32, n * k);
        DeviceBuffer dxq = dev.allocate(DType.S8, m * k);
        DeviceBuffer dwq = dev.allocate(DType.S8, n * k);
        DeviceBuffer dxs = dev.allocate(DType.F32, m);
        DeviceBuffer dws = dev.allocate(DType.F32, n);
        DeviceBuffer dy = dev.allocate(DType.F32, m * n);
        ops.upload(x, dx);
        ops.upload(w, dw);
        ops.quantize(qx, dx, null, dxq, dxs);
        ops.quantize(qw, dw, null, dwq, dws);
        // B packed once (n x k stored, transB = T) and used in place
        DeviceBuffer packed = ops.packB(dev, Trans.T, k, n, k, dwq);
        GemmDesc dp = new GemmDesc(Trans.N, Trans.T, m, n, k, k, CudaOps.packedLd(k), n);
        ops.gemmS8S8F32(dp, dxq, packed, new DeviceEpilogue(1f, dxs, dws, null, 0f), dy);
        ops.download(dy, got);
        Compare.sameBits(want.toArray(), got.toArray(), be.isa() + " device-resident pipeline");
        packed.close();
        for (DeviceBuffer b : new DeviceBuffer[] {dx, dw, dxq, dwq, dxs, dws, dy}) {
          b.close();
        }
        assertEquals(0, dev.openBuffers());
      }
    }
  }
}
