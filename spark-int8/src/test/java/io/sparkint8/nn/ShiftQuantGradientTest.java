package io.sparkint8.nn;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkint8.kernels.Backends;
import io.sparkint8.kernels.memory.Float32Buffer;
import io.sparkint8.kernels.memory.OffHeapAllocator;
import io.sparkint8.kernels.ref.JavaBackend;
import io.sparkint8.kernels.spi.Int8Backend;
import io.sparkint8.nn.spec.Shape;
import io.sparkint8.quant.ClippingKind;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * ShiftQuant in a layer's int8 backward: below 8 bits, the grad_weight GEMM gets the error in groups of
 * rows with power-of-two scales, so rows whose errors are a thousand times smaller than the tensor's
 * largest keep their contribution (the error left is 4-bit stochastic rounding noise). With one scale
 * per tensor (gradientGroupSize 0) their 4-bit codes are almost all 0: that part of the gradient is
 * lost (relative error about 1), or replaced by rare stochastic ±1s far larger than the signal.
 *
 * <p>The case: a linear layer over 256 rows; rows 0..127 carry errors ~N(0, 1) and inputs only in
 * features 0..3, rows 128..255 errors ~N(0, 1e-6) (1e-3 times smaller) and inputs only in features
 * 4..7, so columns 4..7 of G_W = G_Y^T X come from the small rows alone.
 */
class ShiftQuantGradientTest {
  static final long SEED = 20261207L;
  static final int ROWS = 256;
  static final int IN = 8;
  static final int OUT = 3;
  OffHeapAllocator alloc;

  @BeforeEach
  void open() {
    alloc = new OffHeapAllocator("shift-quant-gradient");
  }

  @AfterEach
  void close() {
    alloc.close();
  }

  /** Relative error of grad_weight's columns 4..7 against the exact G_Y^T X. */
  private double smallRowsError(Int8Backend be, int groupSize, boolean inputGrad) {
    EngineConfig cfg = EngineConfig.defaults(Precision.INT8).withClipping(ClippingKind.MAX)
        .withGradientBits(4).withGradientGroupSize(groupSize).withSeed(SEED);
    SplittableRandom rnd = new SplittableRandom(SEED);
    float[] x = new float[ROWS * IN];
    float[] gy = new float[ROWS * OUT];
    for (int r = 0; r < ROWS; r++) {
      boolean big = r < ROWS / 2;
      for (int j = 0; j < IN; j++) {
        x[r * IN + j] = (j < IN / 2) == big ? (float) GemmCore.gaussian(rnd) : 0f;
      }
      for (int c = 0; c < OUT; c++) {
        gy[r * OUT + c] = (float) (GemmCore.gaussian(rnd) * (big ? 1 : 1e-3));
      }
    }
    double diff = 0;
    double norm = 0;
    try (Linear fc = new Linear(new LayerContext(be, alloc, cfg), Shape.features(IN), ROWS, OUT,
            false);
        Float32Buffer xb = alloc.allocateFloat32(x.length).copyFrom(x);
        Float32Buffer gb = alloc.allocateFloat32(gy.length).copyFrom(gy)) {
      fc.forward(xb, ROWS, true);
      fc.backward(gb, ROWS, inputGrad);
      float[] gw = fc.parameters().get(0).grad();
      for (int c = 0; c < OUT; c++) {
        for (int j = IN / 2; j < IN; j++) {
          double exact = 0;
          for (int r = 0; r < ROWS; r++) {
            exact += (double) gy[r * OUT + c] * x[r * IN + j];
          }
          diff += Math.pow(gw[c * IN + j] - exact, 2);
          norm += exact * exact;
        }
      }
    }
    return Math.sqrt(diff / norm);
  }

  @Test
  void powerOfTwoGroupsKeepTheSmallRowsOfGradWeight() {
    for (Int8Backend be : List.of(new JavaBackend(), Backends.get())) {
      for (boolean inputGrad : new boolean[] {false, true}) {
        double pow2 = smallRowsError(be, 16, inputGrad);
        double tensor = smallRowsError(be, 0, inputGrad);
        String what = be.name() + ", input gradient " + inputGrad + ": relative error of the"
            + " small rows' columns with groups of 16 " + pow2 + ", per tensor " + tensor;
        System.out.println(what);
        assertTrue(pow2 < 0.35, what);
        assertTrue(tensor > 0.9, what);
      }
    }
  }

  @Test
  void eightBitsIgnoreTheGroupSize() {
    EngineConfig cfg = EngineConfig.defaults(Precision.INT8);
    assertTrue(!cfg.shiftQuant() && cfg.withGradientBits(7).shiftQuant()
        && !cfg.withGradientBits(7).withGradientGroupSize(0).shiftQuant(),
        "ShiftQuant runs below 8 bits with a group size only");
  }
}
