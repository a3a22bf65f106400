package io.sparkint8.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkint8.kernels.Backends;
import io.sparkint8.kernels.memory.Float32Buffer;
import io.sparkint8.kernels.memory.OffHeapAllocator;
import io.sparkint8.nn.spec.Shape;
import io.sparkint8.optim.Parameter;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Finite-difference checks of every fp32 layer: for L = sum(y * R) with a fixed random R, the analytic
 * gradients of the input and of every parameter match central differences. The layers run without
 * the BatchNorm rectification loss except in {@link #batchNormWithRectification}, which adds it.
 */
class GradientCheckTest {
  static final long SEED = 20261122L;
  OffHeapAllocator alloc;
  LayerContext ctx;

  @BeforeEach
  void open() {
    alloc = new OffHeapAllocator("gradcheck");
    ctx = new LayerContext(Backends.get(), alloc, EngineConfig.defaults(Precision.FP32)
        .withBnRectification(0));
  }

  @AfterEach
  void close() {
    alloc.close();
  }

  private void check(String what, Layer layer, int batch) {
    check(what, layer, batch, 1e-2);
  }

  /**
   * Checks layer's gradients on a random input of the given batch with central differences of step h
   * (smaller for layers with kinks - max, |x| - so that a step rarely crosses one).
   */
  private void check(String what, Layer layer, int batch, double h) {
    check(what, layer, batch, h, l -> 0.0);
  }

  /**
   * As above, with {@code paramLoss} (a function of the layer's state after a forward) added to the
   * loss whose parameter gradients are checked; the input gradient is checked against the task term.
   */
  private void check(String what, Layer layer, int batch, double h,
      Function<Layer, Double> paramLoss) {
    try (layer) {
      SplittableRandom rnd = new SplittableRandom(SEED + what.hashCode());
      int inSize = batch * layer.inputShape().size();
      int outSize = batch * layer.outputShape().size();
      float[] x = new float[inSize];
      for (int i = 0; i < inSize; i++) {
        x[i] = (float) GemmCore.gaussian(rnd);
      }
      float[] r = new float[outSize];
      for (int i = 0; i < outSize; i++) {
        r[i] = (float) GemmCore.gaussian(rnd);
      }
      try (Float32Buffer xb = alloc.allocateFloat32(inSize).copyFrom(x);
          Float32Buffer rb = alloc.allocateFloat32(outSize).copyFrom(r)) {
        Function<float[], Double> loss = input -> {
          xb.copyFrom(input);
          FloatBuffer y = layer.forward(xb, batch, true).bytes().asFloatBuffer();
          double s = 0;
          for (int i = 0; i < outSize; i++) {
            s += (double) y.get(i) * r[i];
          }
          return s;
        };
        loss.apply(x);
        float[] gx = layer.backward(rb, batch, true).toArray();
        float[] numeric = new float[inSize];
        for (int i = 0; i < inSize; i++) {
          float[] p = x.clone();
          p[i] += (float) h;
          float[] m = x.clone();
          m[i] -= (float) h;
          numeric[i] = (float) ((loss.apply(p) - loss.apply(m)) / (2 * h));
        }
        assertClose(what + " dL/dx", numeric, java.util.Arrays.copyOf(gx, inSize));
        List<Parameter> params = layer.parameters();
        Function<float[], Double> total = input -> loss.apply(input) + paramLoss.apply(layer);
        for (Parameter prm : params) {
          loss.apply(x);
          layer.backward(rb, batch, true);
          float[] analytic = prm.grad().clone();
          float[] v = prm.values();
          float[] num = new float[v.length];
          for (int i = 0; i < v.length; i++) {
            float keep = v[i];
            v[i] = keep + (float) h;
            double lp = total.apply(x);
            v[i] = keep - (float) h;
            double lm = total.apply(x);
            v[i] = keep;
            num[i] = (float) ((lp - lm) / (2 * h));
          }
          assertClose(what + " dL/d" + prm.name(), num, analytic);
        }
      }
    }
  }

  private static void assertClose(String what, float[] numeric, float[] analytic) {
    double diff = 0;
    double norm = 0;
    for (int i = 0; i < numeric.length; i++) {
      diff += Math.pow(numeric[i] - analytic[i], 2);
      norm += Math.pow(numeric[i], 2);
    }
    double rel = Math.sqrt(diff) / Math.max(1e-12, Math.sqrt(norm));
    assertTrue(norm > 0, what + ": the numeric gradient is zero, the check would be vacuous");
    assertTrue(rel < 1e-2, what + ": relative error " + rel + " (seed " + SEED + ")");
  }

  @Test
  void linear() {
    check("linear", new Linear(ctx, Shape.chw(3, 2, 2), 3, 5, true), 3);
  }

  @Test
  void conv2dWithStrideAndPadding() {
    check("conv", new Conv2d(ctx, Shape.chw(3, 5, 5), 2, 4, 3, 2, 1, true), 2);
  }

  @Test
  void conv2dPointwise() {
    check("conv1x1", new Conv2d(ctx, Shape.chw(4, 3, 3), 2, 3, 1, 1, 0, false), 2);
  }

  @Test
  void batchNorm2d() {
    check("bn", new BatchNorm(ctx, Shape.chw(3, 2, 2), 4, false), 4);
  }

  @Test
  void batchNorm1dL1Variant() {
    check("bn-l1", new BatchNorm(ctx, Shape.features(5), 8, true), 8, 1e-3);
  }

  /**
   * BatchNorm with the rectification loss on (lambda = 1, large enough that its gradient is of the
   * size of the task's): gamma is set so that |gamma|/sigma exceeds 1 in two of four channels (sigma is
   * about 1 on unit gaussian input), one of them negative. The loss is L = sum(y * R) + batch *
   * lambda * sum_c max(0, |gamma_c|/sigma_c - 1)^2, the rectification term computed here from its
   * definition with sigma from the layer's batch statistics. As ALGORITHMS.md §4 says, sigma is a
   * constant of the batch for the rectification gradient: it flows into gamma only, so dL/dx is
   * checked against the task term and dL/dgamma against both.
   */
  @Test
  void batchNormWithRectification() {
    double lambda = 1.0;
    LayerContext rect = new LayerContext(Backends.get(), alloc, EngineConfig.defaults(
        Precision.FP32).withBnRectification(lambda));
    int batch = 6;
    BatchNorm bn = new BatchNorm(rect, Shape.chw(4, 2, 2), batch, false);
    float[] gamma = bn.parameters().get(0).values();
    float[] set = {2.5f, 0.4f, -1.8f, 0.3f};
    System.arraycopy(set, 0, gamma, 0, set.length);
    double[] excess = new double[set.length];
    check("bn-rect", bn, batch, 1e-2, layer -> {
      BnStats s = bn.batchStats();
      double eps = rect.config().bnEps();
      double r = 0;
      for (int c = 0; c < gamma.length; c++) {
        double sigma = Math.sqrt(s.variance(c) + eps);
        excess[c] = Math.abs(gamma[c]) / sigma - 1;
        r += excess[c] > 0 ? excess[c] * excess[c] : 0;
      }
      return batch * lambda * r;
    });
    assertTrue(excess[0] > 0.5 && excess[2] > 0.3 && excess[1] < 0,
        "the case must have channels on both sides of |gamma|/sigma = 1: " + Arrays.toString(excess));
    double expected = 0;
    for (double e : excess) {
      expected += e > 0 ? lambda * e * e : 0;
    }
    assertEquals(expected, bn.rectificationLoss(), 1e-6 * expected, "the reported loss");
  }

  @Test
  void relu() {
    check("relu", new Relu(ctx, Shape.chw(2, 3, 3), 2), 2);
  }

  @Test
  void pools() {
    check("maxpool", new Pool2d(ctx, Shape.chw(2, 5, 5), 2, Pool2d.Kind.MAX, 2, 2, 0), 2, 1e-3);
    check("maxpool-pad", new Pool2d(ctx, Shape.chw(2, 5, 5), 2, Pool2d.Kind.MAX, 3, 2, 1), 2,
        1e-3);
    check("avgpool", new Pool2d(ctx, Shape.chw(2, 5, 5), 2, Pool2d.Kind.AVG, 3, 2, 1), 2);
    check("gap", new Pool2d(ctx, Shape.chw(3, 4, 4), 2, Pool2d.Kind.GLOBAL_AVG, 0, 1, 0), 2);
  }

  @Test
  void dropoutUsesOneMaskPerStep() {
    check("dropout", new Dropout(ctx, Shape.features(30), 2, 0.3), 2);
  }

  @Test
  void residualWithProjection() {
    Shape in = Shape.chw(2, 4, 4);
    // no bias before BN: BN cancels it, its gradient is 0 and a check of it would be vacuous
    Conv2d c1 = new Conv2d(ctx, in, 2, 3, 3, 2, 1, false);
    BatchNorm bn = new BatchNorm(ctx, c1.outputShape(), 2, false);
    Sequential body = new Sequential(ctx, in, 2, List.of(c1, bn));
    Conv2d proj = new Conv2d(ctx, in, 2, 3, 1, 2, 0, false);
    Sequential shortcut = new Sequential(ctx, in, 2, List.of(proj));
    check("residual", new Residual(ctx, in, 2, body, shortcut), 2);
  }
}
