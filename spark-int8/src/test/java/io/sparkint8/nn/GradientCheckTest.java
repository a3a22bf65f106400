package io.sparkint8.nn;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkint8.kernels.Backends;
import io.sparkint8.kernels.memory.Float32Buffer;
import io.sparkint8.kernels.memory.OffHeapAllocator;
import io.sparkint8.nn.spec.Shape;
import io.sparkint8.optim.Parameter;
import java.nio.FloatBuffer;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Finite-difference checks of every fp32 layer: for L = sum(y * R) with a fixed random R, the analytic
 * gradients of the input and of every parameter match central differences.
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
        for (Parameter prm : params) {
          loss.apply(x);
          layer.backward(rb, batch, true);
          float[] analytic = prm.grad().clone();
          float[] v = prm.values();
          float[] num = new float[v.length];
          for (int i = 0; i < v.length; i++) {
            float keep = v[i];
            v[i] = keep + (float) h;
            double lp = loss.apply(x);
            v[i] = keep - (float) h;
            double lm = loss.apply(x);
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
