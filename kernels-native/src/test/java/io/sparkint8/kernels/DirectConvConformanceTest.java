package io.sparkint8.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkint8.kernels.jni.NativeBackend;
import io.sparkint8.kernels.memory.Float32Buffer;
import io.sparkint8.kernels.memory.Int8Buffer;
import io.sparkint8.kernels.memory.OffHeapAllocator;
import io.sparkint8.kernels.ref.JavaBackend;
import io.sparkint8.kernels.spi.ConvDesc;
import io.sparkint8.kernels.spi.Epilogue;
import io.sparkint8.kernels.spi.GemmDesc;
import io.sparkint8.kernels.spi.Int8Backend;
import io.sparkint8.kernels.spi.Trans;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The direct stem convolution ops on the ISA path this JVM runs (CI runs it once per path through
 * INT8K_MAX_ISA), on stem-like awkward shapes: 1..3 channels, kernels 1, 3, 5, strides 1 and 2, padding
 * 0..2, 1, 3, 17, 32 or 40 output channels, 1 or 3 images of odd sizes. The forward must equal im2col +
 * the s8 GEMM with the same epilogue (the path it replaces) bit for bit, in the reference and natively;
 * the weight gradient must equal its reference bit for bit and that reference the documented blocked
 * order, computed here independently from the im2col matrix. Each message carries the seed.
 */
class DirectConvConformanceTest {
  static final int CASES = 150;
  static final long SEED = Long.getLong("int8.test.seed", 20261207L);
  static final Int8Backend REF = new JavaBackend();
  static final int[] OUT_CHANNELS = {1, 3, 17, 32, 40};
  static NativeBackend nat;
  OffHeapAllocator alloc;

  @BeforeAll
  static void describe() {
    nat = NativeTestSupport.nativeBackend();
    System.out.println("direct conv conformance: native ISA " + nat.isa() + ", seed " + SEED);
  }

  @BeforeEach
  void open() {
    alloc = new OffHeapAllocator("direct conv");
  }

  @AfterEach
  void close() {
    alloc.close(); // throws if a test leaked a buffer
  }

  /** A random stem window within the ops' bound (kh * kw * c <= 64). */
  private static ConvDesc window(Cases c, int t) {
    return window(c, t, 14);
  }

  /**
   * ... of sides up to about {@code spread} beyond the window (odd sizes up to {@code spread} + 1
   * in every fifth case); also the stem backward's windows (StemBackwardConformanceTest).
   */
  static ConvDesc window(Cases c, int t, int spread) {
    int channels = 1 + c.rnd.nextInt(3);
    int[] kernels = channels == 3 ? new int[] {1, 3} : new int[] {1, 3, 5};
    int k = kernels[c.rnd.nextInt(kernels.length)];
    int stride = 1 + c.rnd.nextInt(2);
    int pad = c.rnd.nextInt(Math.min(3, k + 1)); // 0..2, never more than the kernel
    int batch = t % 2 == 0 ? 1 : 3;
    int h = Math.max(k - 2 * pad, 1) + c.rnd.nextInt(spread);
    int w = Math.max(k - 2 * pad, 1) + c.rnd.nextInt(spread);
    if (t % 5 == 0) { // odd sizes from the awkward list
      h = Math.max(h, 1 + 2 * c.rnd.nextInt(spread / 2 + 1));
      w = Math.max(w, 1 + 2 * c.rnd.nextInt(spread / 2 + 1));
    }
    return ConvDesc.of(batch, h, w, channels, k, stride, pad);
  }

  private Float32Buffer f32(float[] v) {
    return alloc.allocateFloat32(v.length).copyFrom(v);
  }

  private Int8Buffer s8(byte[] v) {
    Int8Buffer b = alloc.allocateInt8(v.length);
    b.bytes().put(0, v);
    return b;
  }

  @Test
  void forwardEqualsIm2colThenGemm() {
    Cases c = new Cases(SEED);
    int nonZero = 0;
    int outputs = 0;
    for (int t = 0; t < CASES; t++) {
      ConvDesc d = window(c, t);
      int oc = OUT_CHANNELS[t % OUT_CHANNELS.length];
      int rows = d.colRows();
      int patch = d.colCols();
      int variant = t % 5; // which parts of the epilogue are present
      String ctx = "convS8Direct case " + t + " seed " + SEED + " " + d + " oc " + oc
          + " epilogue variant " + variant;
      try (Int8Buffer img = s8(c.int8(d.inputSize()));
          Int8Buffer wei = s8(c.int8(oc * patch));
          Int8Buffer cols = alloc.allocateInt8((long) rows * patch);
          Float32Buffer rowScale = f32(c.positive(rows));
          Float32Buffer colScale = f32(c.positive(oc));
          Float32Buffer bias = f32(c.float32(oc));
          Float32Buffer old = f32(c.float32(rows * oc));
          Float32Buffer want = alloc.allocateFloat32((long) rows * oc);
          Float32Buffer gotRef = alloc.allocateFloat32((long) rows * oc);
          Float32Buffer gotNat = alloc.allocateFloat32((long) rows * oc)) {
        float alpha = (float) Math.exp(c.rnd.nextDouble(-8, 0));
        Epilogue ep = switch (variant) {
          case 0 -> Epilogue.scale(alpha);
          case 1 -> new Epilogue(alpha, null, colScale, bias, 0f);
          case 2 -> new Epilogue(alpha, rowScale, null, bias, 0f);
          case 3 -> new Epilogue(alpha, rowScale, colScale, null, 0f);
          default -> new Epilogue(alpha, null, colScale, bias, 0.5f + c.rnd.nextFloat());
        };
        float[] start = old.toArray();
        for (Float32Buffer out : new Float32Buffer[] {want, gotRef, gotNat}) {
          out.copyFrom(start); // beta != 0 reads the old output
        }
        REF.im2col(d, img, cols);
        REF.gemmS8S8F32(GemmDesc.of(Trans.N, Trans.T, rows, oc, patch), cols, wei, ep, want);
        REF.convS8Direct(d, img, wei, oc, ep, gotRef);
        nat.convS8Direct(d, img, wei, oc, ep, gotNat);
        float[] expected = want.toArray();
        Compare.sameBits(expected, gotRef.toArray(), ctx + " (Java reference)");
        Compare.sameBits(expected, gotNat.toArray(), ctx + " (native " + nat.isa() + ")");
        for (float v : expected) {
          nonZero += v != 0f ? 1 : 0;
        }
        outputs += expected.length;
      }
    }
    // a comparison of zeros with zeros would prove nothing
    assertTrue(nonZero > outputs / 2, nonZero + " of " + outputs + " outputs non-zero");
  }

  /**
   * convS8DirectSums writes convS8Direct's output and sums it per channel as bnStatistics' first pass
   * does (double, rows ascending): its sums divided by the rows are bnStatistics' means bit for bit.
   */
  @Test
  void forwardWithSumsIsTheForwardAndTheStatisticsFirstPass() {
    Cases c = new Cases(SEED + 2);
    for (int t = 0; t < CASES; t++) {
      ConvDesc d = window(c, t);
      int oc = OUT_CHANNELS[t % OUT_CHANNELS.length];
      int rows = d.colRows();
      int patch = d.colCols();
      String ctx = "convS8DirectSums case " + t + " seed " + SEED + " " + d + " oc " + oc;
      try (Int8Buffer img = s8(c.int8(d.inputSize()));
          Int8Buffer wei = s8(c.int8(oc * patch));
          Float32Buffer rowScale = f32(c.positive(rows));
          Float32Buffer colScale = f32(c.positive(oc));
          Float32Buffer bias = f32(c.float32(oc));
          Float32Buffer want = alloc.allocateFloat32((long) rows * oc);
          Float32Buffer got = alloc.allocateFloat32((long) rows * oc)) {
        Epilogue ep = t % 2 == 0 ? new Epilogue(0.01f, null, colScale, bias, 0f)
            : new Epilogue(0.02f, rowScale, null, null, 0f);
        REF.convS8Direct(d, img, wei, oc, ep, want);
        double[][] stats = {new double[oc], new double[oc], new double[oc]};
        REF.bnStatistics(rows, oc, want, stats[0], stats[1], stats[2]);
        for (Int8Backend be : new Int8Backend[] {REF, nat}) {
          double[] sums = new double[oc + 1];
          be.convS8DirectSums(d, img, wei, oc, ep, got, sums);
          Compare.sameBits(want.toArray(), got.toArray(), ctx + " " + be.name() + " output");
          double[] means = new double[oc];
          for (int o = 0; o < oc; o++) {
            means[o] = sums[o] / rows;
          }
          Compare.sameBits(stats[0], means, ctx + " " + be.name() + " sums / rows");
          assertEquals(0.0, sums[oc], ctx + ": wrote past the channels");
        }
      }
    }
  }

  /**
   * The documented order, written out from the im2col matrix: blocks of DIRECT_CONV_GRAD_BLOCK rows,
   * a float fma chain per block, the blocks added in double, one rounding to float.
   */
  private static float[][] blockedGradient(float[] cols, float[] g, int rows, int patch, int oc) {
    int block = Int8Backend.DIRECT_CONV_GRAD_BLOCK;
    float[] weights = new float[oc * patch];
    float[] bias = new float[oc];
    for (int o = 0; o < oc; o++) {
      double[] total = new double[patch + 1];
      for (int r0 = 0; r0 < rows; r0 += block) {
        float[] part = new float[patch + 1];
        for (int r = r0; r < Math.min(rows, r0 + block); r++) {
          float e = g[r * oc + o];
          for (int col = 0; col < patch; col++) {
            part[col] = Math.fma(e, cols[r * patch + col], part[col]);
          }
          part[patch] += e;
        }
        for (int i = 0; i <= patch; i++) {
          total[i] += part[i];
        }
      }
      for (int col = 0; col < patch; col++) {
        weights[o * patch + col] = (float) total[col];
      }
      bias[o] = (float) total[patch];
    }
    return new float[][] {weights, bias};
  }

  @Test
  void gradWeightFollowsTheBlockedOrderOnEveryPath() {
    Cases c = new Cases(SEED + 1);
    int spansBlocks = 0;
    int nonZero = 0;
    int outputs = 0;
    for (int t = 0; t < CASES; t++) {
      ConvDesc d = window(c, t);
      int oc = OUT_CHANNELS[t % OUT_CHANNELS.length];
      int rows = d.colRows();
      int patch = d.colCols();
      boolean withBias = t % 4 != 3;
      spansBlocks += rows > Int8Backend.DIRECT_CONV_GRAD_BLOCK ? 1 : 0;
      String ctx = "convGradWeightF32Direct case " + t + " seed " + SEED + " " + d + " oc " + oc
          + (withBias ? "" : " without bias");
      try (Float32Buffer img = f32(c.float32(d.inputSize()));
          Float32Buffer g = f32(c.float32(rows * oc));
          Float32Buffer cols = alloc.allocateFloat32((long) rows * patch);
          Float32Buffer gwRef = alloc.allocateFloat32((long) oc * patch);
          Float32Buffer gwNat = alloc.allocateFloat32((long) oc * patch)) {
        REF.im2col(d, img, cols);
        float[][] want = blockedGradient(cols.toArray(), g.toArray(), rows, patch, oc);
        float[] biasRef = withBias ? new float[oc] : null;
        float[] biasNat = withBias ? new float[oc + 1] : null;
        REF.convGradWeightF32Direct(d, img, g, oc, gwRef, biasRef);
        nat.convGradWeightF32Direct(d, img, g, oc, gwNat, biasNat);
        Compare.sameBits(want[0], gwRef.toArray(), ctx + " weights (Java reference)");
        Compare.sameBits(want[0], gwNat.toArray(), ctx + " weights (native " + nat.isa() + ")");
        if (withBias) {
          Compare.sameBits(want[1], biasRef, ctx + " bias (Java reference)");
          Compare.sameBits(want[1], java.util.Arrays.copyOf(biasNat, oc),
              ctx + " bias (native " + nat.isa() + ")");
          assertEquals(0f, biasNat[oc], ctx + ": wrote past the channels");
        }
        for (float v : want[0]) {
          nonZero += v != 0f ? 1 : 0;
        }
        outputs += want[0].length;
      }
    }
    assertTrue(spansBlocks > CASES / 10, spansBlocks + " cases span more than one block");
    assertTrue(nonZero > outputs / 2, nonZero + " of " + outputs + " gradients non-zero");
  }

  /**
   * The blocked order is more accurate than one float chain: on a long sum (the stem's 200,704 rows)
   * of same-signed terms a single chain drifts, the blocked sum stays within a few ulps of the exact
   * (double) sum.
   */
  @Test
  void gradWeightIsAccurateOnLongSums() {
    ConvDesc d = ConvDesc.of(64, 28, 28, 1, 3, 1, 1); // 50,176 output pixels
    int oc = 2;
    int rows = d.colRows();
    Cases c = new Cases(SEED + 2);
    float[] x = new float[d.inputSize()];
    float[] e = new float[rows * oc];
    for (int i = 0; i < x.length; i++) {
      x[i] = 0.5f + c.rnd.nextFloat();
    }
    for (int i = 0; i < e.length; i++) {
      e[i] = 0.5f + c.rnd.nextFloat();
    }
    try (Float32Buffer img = f32(x);
        Float32Buffer g = f32(e);
        Float32Buffer gw = alloc.allocateFloat32(oc * 9);
        Float32Buffer cols = alloc.allocateFloat32((long) rows * 9)) {
      nat.convGradWeightF32Direct(d, img, g, oc, gw, null);
      REF.im2col(d, img, cols);
      float[] m = cols.toArray();
      double worstBlocked = 0;
      double worstChain = 0;
      for (int o = 0; o < oc; o++) {
        for (int col = 0; col < 9; col++) {
          double exact = 0;
          float chain = 0f;
          for (int r = 0; r < rows; r++) {
            exact += (double) e[r * oc + o] * m[r * 9 + col];
            chain = Math.fma(e[r * oc + o], m[r * 9 + col], chain);
          }
          double ulp = Math.ulp((float) exact);
          worstBlocked = Math.max(worstBlocked, Math.abs(gw.get(o * 9 + col) - exact) / ulp);
          worstChain = Math.max(worstChain, Math.abs(chain - exact) / ulp);
        }
      }
      assertTrue(worstBlocked <= 2, "blocked sum off by " + worstBlocked + " ulp");
      assertTrue(worstChain > 8 * Math.max(worstBlocked, 1), "one chain off by only "
          + worstChain + " ulp against " + worstBlocked + ": the test shows nothing");
    }
  }

  @Test
  void badSizesAreRejected() {
    for (Int8Backend b : new Int8Backend[] {REF, nat}) {
      String who = b.name() + "/" + b.isa();
      ConvDesc big = ConvDesc.of(1, 8, 8, 3, 5, 1, 2); // 75 cells > 64
      ConvDesc ok = ConvDesc.of(1, 5, 5, 1, 3, 1, 1);
      try (Int8Buffer img = alloc.allocateInt8(8 * 8 * 3);
          Int8Buffer wei = alloc.allocateInt8(4 * 75);
          Float32Buffer x = alloc.allocateFloat32(8 * 8 * 3);
          Float32Buffer out = alloc.allocateFloat32(64 * 4);
          Float32Buffer gw = alloc.allocateFloat32(4 * 75)) {
        var e = assertThrows(IllegalArgumentException.class,
            () -> b.convS8Direct(big, img, wei, 4, Epilogue.scale(1f), out), who);
        assertTrue(e.getMessage().contains("75 cells"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
            () -> b.convGradWeightF32Direct(big, x, out, 1, gw, null), who);
        assertTrue(e.getMessage().contains("75 cells"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
            () -> b.convS8Direct(ok, img, wei, 0, Epilogue.scale(1f), out), who);
        assertTrue(e.getMessage().contains("outChannels=0"), e.getMessage());
        // 25 pixels x 11 channels need 275 outputs, out holds 256
        e = assertThrows(IllegalArgumentException.class,
            () -> b.convS8Direct(ok, img, wei, 11, Epilogue.scale(1f), out), who);
        assertTrue(e.getMessage().contains("'dst'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> b.convS8Direct(ok, img, wei, 4,
            new Epilogue(1f, out.slice(0, 20), null, null, 0f), out), who);
        assertTrue(e.getMessage().contains("'rowScale'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
            () -> b.convGradWeightF32Direct(ok, x, out, 4, gw, new float[3]), who);
        assertTrue(e.getMessage().contains("'gradBias'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
            () -> b.convGradWeightF32Direct(ok, x, out, 40, gw, null), who);
        assertTrue(e.getMessage().contains("'gradOut'"), e.getMessage());
      }
    }
  }
}
