package io.sparkint8.nn;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkint8.kernels.Backends;
import io.sparkint8.kernels.memory.Float32Buffer;
import io.sparkint8.kernels.memory.OffHeapAllocator;
import io.sparkint8.nn.spec.Shape;
import io.sparkint8.quant.ClippingKind;
import java.util.SplittableRandom;
import java.util.function.BiFunction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A fully quantized layer computes nearly what its fp32 twin (same weights) computes: forward outputs
 * with cosine >= 0.99, input and weight gradients (8-bit errors) with cosine >= 0.95. And it does
 * not compute exactly that: 8-bit rounding must leave a measurable deviation 1 - cos >= {@link
 * #MIN_DEVIATION} in each of the three results, or int8 silently fell back to fp32 (which gives
 * 1 - cos = 0 here, against 5.9e-5 and more measured for int8 with seed 99).
 */
class Int8VersusFp32Test {
  static final long SEED = 99L;
  /** The least 1 - cos an int8 result must show against fp32. */
  static final double MIN_DEVIATION = 1e-6;
  OffHeapAllocator alloc;

  @BeforeEach
  void open() {
    alloc = new OffHeapAllocator("int8-vs-fp32");
  }

  @AfterEach
  void close() {
    alloc.close();
  }

  private LayerContext ctx(Precision p, String clipping) {
    return new LayerContext(Backends.get(), alloc, EngineConfig.defaults(p)
        .withClipping(ClippingKind.parse(clipping)));
  }

  private void compare(String clipping, BiFunction<LayerContext, Integer, Layer> make, int batch) {
    try (Layer f = make.apply(ctx(Precision.FP32, clipping), batch);
        Layer q = make.apply(ctx(Precision.INT8, clipping), batch)) {
      SplittableRandom rnd = new SplittableRandom(SEED);
      int inSize = batch * f.inputShape().size();
      int outSize = batch * f.outputShape().size();
      float[] x = new float[inSize];
      for (int i = 0; i < inSize; i++) {
        x[i] = (float) Math.max(0, GemmCore.gaussian(rnd)); // post-ReLU activations
      }
      float[] g = new float[outSize];
      for (int i = 0; i < outSize; i++) {
        g[i] = (float) (GemmCore.gaussian(rnd) * 1e-3);
      }
      try (Float32Buffer xb = alloc.allocateFloat32(inSize).copyFrom(x);
          Float32Buffer gb = alloc.allocateFloat32(outSize).copyFrom(g)) {
        float[] yf = f.forward(xb, batch, true).toArray();
        float[] yq = q.forward(xb, batch, true).toArray();
        assertCosine(clipping + " " + f.describe() + " forward", yf, yq, outSize, 0.99);
        float[] gxf = f.backward(gb, batch, true).toArray();
        float[] gxq = q.backward(gb, batch, true).toArray();
        assertCosine(clipping + " " + f.describe() + " grad_input", gxf, gxq, inSize, 0.95);
        assertCosine(clipping + " " + f.describe() + " grad_weight",
            f.parameters().get(0).grad(), q.parameters().get(0).grad(),
            f.parameters().get(0).grad().length, 0.95);
      }
    }
  }

  private static void assertCosine(String what, float[] a, float[] b, int n, double min) {
    assertCosine(what, a, b, n, min, MIN_DEVIATION);
  }

  private static void assertCosine(String what, float[] a, float[] b, int n, double min,
      double minDeviation) {
    double dot = 0;
    double na = 0;
    double nb = 0;
    for (int i = 0; i < n; i++) {
      dot += (double) a[i] * b[i];
      na += (double) a[i] * a[i];
      nb += (double) b[i] * b[i];
    }
    double cos = dot / Math.sqrt(na * nb);
    assertTrue(na > 0 && cos >= min, what + ": cosine " + cos + " < " + min + " (seed " + SEED
        + ")");
    System.out.println(what + ": 1 - cos = " + (1 - cos));
    assertTrue(1 - cos >= minDeviation, what + ": 1 - cos = " + (1 - cos) + " < " + minDeviation
        + ": the int8 result is (nearly) the fp32 one, as if int8 fell back to fp32 (seed "
        + SEED + ")");
  }

  @ParameterizedTest
  @ValueSource(strings = {"max", "dsgc", "mcs"})
  void linear(String clipping) {
    compare(clipping, (c, b) -> new Linear(c, Shape.features(300), b, 70, true), 64);
  }

  @ParameterizedTest
  @ValueSource(strings = {"max", "dsgc", "mcs"})
  void conv(String clipping) {
    compare(clipping, (c, b) -> new Conv2d(c, Shape.chw(16, 10, 10), b, 24, 3, 1, 1, true), 8);
  }
}
