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
import io.sparkint8.kernels.spi.StemMoments;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * bnMaxPoolBackwardMoments, the stem's backward through its batch norm and max-pool, on the ISA path
 * this JVM runs (CI runs it once per path through INT8K_MAX_ISA), on stem-like awkward shapes: 1..3
 * image channels, kernels 1, 3, 5, strides 1 and 2, padding 0..2, 1, 3, 17, 32 or 40 output channels,
 * pools 1..3 that often leave rows and columns in no window, 1 or 3 images of odd sizes. The native op
 * must equal the Java reference bit for bit; its sums and its moments combined as documented must give
 * bnMaxPoolBackwardSums' sums and the gradient of the three ops it replaces (another rounding order, so
 * within a tolerance). Each message carries the seed.
 */
class StemBackwardConformanceTest {
  static final int CASES = 150;
  static final long SEED = Long.getLong("int8.test.seed", 20261208L);
  static final Int8Backend REF = new JavaBackend();
  static final int[] OUT_CHANNELS = {1, 3, 17, 32, 40};
  static NativeBackend nat;
  OffHeapAllocator alloc;

  @BeforeAll
  static void describe() {
    nat = NativeTestSupport.nativeBackend();
    System.out.println("stem backward conformance: native ISA " + nat.isa() + ", seed " + SEED);
  }

  @BeforeEach
  void open() {
    alloc = new OffHeapAllocator("stem backward");
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
      v[i] = c.gaussian() * Math.exp(c.rnd.nextDouble(-2, 2));
    }
    return v;
  }

  /** One case: its shapes, operands and the pool forward's argmax. */
  private final class Case implements AutoCloseable {
    final ConvDesc conv;
    final ConvDesc bn;
    final int oc;
    final int pool;
    final boolean relu;
    final BnAffine p;
    final Float32Buffer image;
    final Float32Buffer x;
    final Float32Buffer gradPooled;
    final Int32Buffer argmax;
    final String ctx;

    Case(Cases c, int t) {
      conv = DirectConvConformanceTest.window(c, t, 20); // larger: most cases span blocks
      oc = OUT_CHANNELS[t % OUT_CHANNELS.length];
      pool = 1 + c.rnd.nextInt(Math.min(3, Math.min(conv.outH(), conv.outW())));
      relu = t % 3 != 0;
      bn = new ConvDesc(conv.n(), conv.outH(), conv.outW(), oc, pool, pool, pool, pool, 0, 0);
      ctx = "bnMaxPoolBackwardMoments case " + t + " seed " + SEED + " " + conv + " oc " + oc
          + " pool " + pool + (relu ? " relu" : "");
      image = f32(c.float32(conv.inputSize()));
      float[] xs = c.float32(conv.colRows() * oc);
      x = f32(xs);
      // the batch's own mean, as training normalizes with (the bias gradient assumes sum xhat = 0)
      float[] mean = new float[oc];
      for (int o = 0; o < oc; o++) {
        double sum = 0;
        for (int r = 0; r < conv.colRows(); r++) {
          sum += xs[r * oc + o];
        }
        mean[o] = (float) (sum / conv.colRows());
      }
      p = new BnAffine(mean, c.positive(oc), c.float32(oc), c.float32(oc));
      gradPooled = f32(c.float32(bn.pooledSize()));
      argmax = alloc.allocateInt32(bn.pooledSize());
      try (Float32Buffer pooled = alloc.allocateFloat32(bn.pooledSize())) {
        REF.bnMaxPool(bn, x, p, relu, pooled, argmax);
      }
    }

    StemMoments run(Int8Backend be) {
      StemMoments m = new StemMoments(oc, conv.colCols());
      Arrays.fill(m.values(), Double.NaN); // every value must be written
      be.bnMaxPoolBackwardMoments(conv, image, oc, pool, gradPooled, argmax, x, p, relu, m);
      return m;
    }

    @Override
    public void close() {
      image.close();
      x.close();
      gradPooled.close();
      argmax.close();
    }
  }

  @Test
  void nativeEqualsTheReference() {
    Cases c = new Cases(SEED);
    int spansBlocks = 0;
    int leftOver = 0;
    for (int t = 0; t < CASES; t++) {
      try (Case k = new Case(c, t)) {
        spansBlocks += k.conv.colRows() > Int8Backend.DIRECT_CONV_GRAD_BLOCK ? 1 : 0;
        leftOver += k.conv.outH() % k.pool != 0 || k.conv.outW() % k.pool != 0 ? 1 : 0;
        StemMoments want = k.run(REF);
        StemMoments got = k.run(nat);
        Compare.sameBits(want.values(), got.values(), k.ctx + " (native " + nat.isa() + ")");
      }
    }
    assertTrue(spansBlocks > 20, "too few cases spanning several blocks: " + spansBlocks);
    assertTrue(leftOver > 20, "too few cases with pixels in no window: " + leftOver);
  }

  /**
   * The point of the op: its sums are bnMaxPoolBackwardSums', k (momentG - a windowSum - b momentH)
   * is the weight gradient of bnMaxPoolBackwardInput followed by convGradWeightF32Direct, and k (sumG
   * - a rows) its bias gradient. They round differently (float chains per block against double sums;
   * the three ops round the input gradient to float per element and sum it in float chains), so each
   * value must agree within 1e-4 of the magnitudes that went into it.
   */
  @Test
  void combinedMomentsGiveTheGradientOfTheOpsTheyReplace() {
    Cases c = new Cases(SEED + 1);
    int compared = 0;
    for (int t = 0; t < CASES / 3; t++) {
      try (Case k = new Case(c, t)) {
        int rows = k.conv.colRows();
        int patch = k.conv.colCols();
        double[] a = doubles(c, k.oc);
        double[] b = doubles(c, k.oc);
        double[] kk = doubles(c, k.oc);
        float[] want;
        float[] wantBias = new float[k.oc];
        double[] absGradIn = new double[k.oc];
        double maxImage = 0;
        for (float v : k.image.toArray()) {
          maxImage = Math.max(maxImage, Math.abs(v));
        }
        try (Float32Buffer gradIn = alloc.allocateFloat32((long) rows * k.oc);
            Float32Buffer gw = alloc.allocateFloat32((long) k.oc * patch)) {
          nat.bnMaxPoolBackwardInput(k.bn, k.gradPooled, k.argmax, k.x, k.p, k.relu, a, b, kk,
              gradIn);
          nat.convGradWeightF32Direct(k.conv, k.image, gradIn, k.oc, gw, wantBias);
          // the three ops sum the input gradient in float chains: their error scales with the sum
          // of its magnitudes, which bounds the comparisons below
          float[] gi = gradIn.toArray();
          for (int e = 0; e < gi.length; e++) {
            absGradIn[e % k.oc] += Math.abs(gi[e]);
          }
          want = gw.toArray();
        }
        StemMoments m = k.run(nat);
        double[][] sums = {new double[k.oc], new double[k.oc]};
        nat.bnMaxPoolBackwardSums(k.bn, k.gradPooled, k.argmax, k.x, k.p, k.relu, sums[0],
            sums[1]);
        // bounds of sum |g| and sum |g xhat|: every error is a pooled one, xhat at most maxH
        float[] gp = k.gradPooled.toArray();
        float[] xv = k.x.toArray();
        double[] absG = new double[k.oc];
        double[] maxH = new double[k.oc];
        for (int i = 0; i < gp.length; i++) {
          absG[i % k.oc] += Math.abs(gp[i]);
        }
        for (int i = 0; i < xv.length; i++) {
          int o = i % k.oc;
          maxH[o] = Math.max(maxH[o], Math.abs((xv[i] - k.p.mean()[o]) * k.p.invScale()[o]));
        }
        double[] sumH = new double[k.oc];
        double[] absH = new double[k.oc];
        for (int i = 0; i < xv.length; i++) {
          int o = i % k.oc;
          float h = (xv[i] - k.p.mean()[o]) * k.p.invScale()[o]; // xhat as the kernels compute it
          sumH[o] += h;
          absH[o] += Math.abs(h);
        }
        for (int o = 0; o < k.oc; o++) {
          assertClose(sums[0][o], m.sumG(o), absG[o], k.ctx + " sumG[" + o + "]");
          assertClose(sums[1][o], m.sumGh(o), absG[o] * maxH[o], k.ctx + " sumGh[" + o + "]");
        }
        for (int o = 0; o < k.oc; o++) {
          for (int col = 0; col < patch; col++) {
            double got = kk[o] * (m.momentG(o, col) - a[o] * m.windowSum(col)
                - b[o] * m.momentH(o, col));
            double scale = Math.abs(kk[o]) * (Math.abs(m.momentG(o, col))
                + Math.abs(a[o] * m.windowSum(col)) + Math.abs(b[o] * m.momentH(o, col)))
                + absGradIn[o] * maxImage + 1e-30;
            assertTrue(Math.abs(got - want[o * patch + col]) <= 1e-4 * scale, k.ctx + " weight ["
                + o + "][" + col + "]: moments give " + got + ", the three ops "
                + want[o * patch + col] + " (scale " + scale + ")");
            compared++;
          }
          // the three ops' bias gradient also holds -k b sum(xhat), 0 up to the rounding of the
          // float xhat around the batch's mean, which the op leaves out: add it back here
          double bias = kk[o] * (m.sumG(o) - a[o] * rows - b[o] * sumH[o]);
          double scale = Math.abs(kk[o]) * (Math.abs(m.sumG(o)) + Math.abs(a[o] * rows)
              + Math.abs(b[o] * sumH[o])) + absGradIn[o] + 1e-30;
          assertTrue(Math.abs(bias - wantBias[o]) <= 1e-4 * scale, k.ctx + " bias [" + o
              + "]: moments give " + bias + ", the three ops " + wantBias[o]);
          assertTrue(Math.abs(sumH[o]) <= 1e-5 * absH[o] + 1e-30, k.ctx + " sum of xhat [" + o
              + "] = " + sumH[o] + ", expected 0 up to rounding (sum |xhat| " + absH[o] + ")");
        }
      }
    }
    assertTrue(compared > 1000, "compared only " + compared + " weights");
  }

  /** |want - got| within 1e-4 of {@code terms}, a bound of the sum of the terms' magnitudes. */
  private static void assertClose(double want, double got, double terms, String what) {
    assertTrue(Math.abs(want - got) <= 1e-4 * terms + 1e-30, what + ": " + got + ", expected "
        + want + " (terms up to " + terms + ")");
  }

  @Test
  void wrongArgumentsAreRejectedWithTheirNames() {
    ConvDesc conv = ConvDesc.of(2, 8, 8, 1, 3, 1, 1);
    int oc = 4;
    BnAffine p = new BnAffine(new float[oc], new float[oc], new float[oc], new float[oc]);
    try (Float32Buffer image = alloc.allocateFloat32(conv.inputSize());
        Float32Buffer x = alloc.allocateFloat32((long) conv.colRows() * oc);
        Float32Buffer gp = alloc.allocateFloat32(2 * 4 * 4 * oc);
        Int32Buffer am = alloc.allocateInt32(2 * 4 * 4 * oc);
        Float32Buffer small = alloc.allocateFloat32(7)) {
      StemMoments m = new StemMoments(oc, conv.colCols());
      for (Int8Backend be : new Int8Backend[] {REF, nat}) {
        String msg = assertThrows(IllegalArgumentException.class,
            () -> be.bnMaxPoolBackwardMoments(conv, image, oc, 9, gp, am, x, p, true, m))
            .getMessage();
        assertTrue(msg.contains("pool=9"), msg);
        msg = assertThrows(IllegalArgumentException.class,
            () -> be.bnMaxPoolBackwardMoments(conv, image, oc, 2, small, am, x, p, true, m))
            .getMessage();
        assertTrue(msg.contains("gradPooled"), msg);
        msg = assertThrows(IllegalArgumentException.class,
            () -> be.bnMaxPoolBackwardMoments(conv, image, oc, 2, gp, am, small, p, true, m))
            .getMessage();
        assertTrue(msg.contains("x"), msg);
        msg = assertThrows(IllegalArgumentException.class,
            () -> be.bnMaxPoolBackwardMoments(conv, image, oc, 2, gp, am, x, p, true,
                new StemMoments(oc + 1, conv.colCols()))).getMessage();
        assertTrue(msg.contains("out holds 5 channels"), msg);
        msg = assertThrows(IllegalArgumentException.class,
            () -> be.bnMaxPoolBackwardMoments(ConvDesc.of(2, 8, 8, 3, 5, 1, 2), image, oc, 2, gp,
                am, x, p, true, m)).getMessage();
        assertTrue(msg.contains("window of 75 cells"), msg);
      }
    }
  }
}
