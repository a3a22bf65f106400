package io.sparkint8.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkint8.kernels.Backends;
import io.sparkint8.kernels.memory.Float32Buffer;
import io.sparkint8.kernels.memory.OffHeapAllocator;
import io.sparkint8.kernels.spi.Int8Backend;
import io.sparkint8.nn.spec.NetworkSpec;
import io.sparkint8.nn.spec.Shape;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A BatchNorm that fuses the following ReLU gives the bits of the two layers run apart, forward (the
 * output) and backward (the input error and gamma's and beta's gradients), for both BN variants, on
 * the reference and the native backend; and the network builder fuses exactly the bn-relu pairs.
 */
class BnReluFusionTest {
  @ParameterizedTest(name = "l1={0} backend={1}")
  @CsvSource({"false,java", "true,java", "false,auto", "true,auto"})
  void fusedEqualsSeparate(boolean l1, String backend) {
    Int8Backend be = Backends.byName(backend);
    Shape shape = Shape.chw(19, 3, 5); // odd channel count and rows
    int batch = 7;
    int count = batch * shape.size();
    SplittableRandom rnd = new SplittableRandom(20261207L);
    float[] x = new float[count];
    float[] g = new float[count];
    for (int i = 0; i < count; i++) {
      x[i] = (float) GemmCore.gaussian(rnd);
      g[i] = (float) GemmCore.gaussian(rnd);
    }
    try (OffHeapAllocator alloc = new OffHeapAllocator("bn-relu-fusion")) {
      LayerContext ctx = new LayerContext(be, alloc, EngineConfig.defaults(Precision.FP32));
      try (BatchNorm fused = new BatchNorm(ctx, shape, batch, l1, true);
          BatchNorm bn = new BatchNorm(ctx, shape, batch, l1, false);
          Relu relu = new Relu(ctx, shape, batch);
          Float32Buffer xb = alloc.allocateFloat32(count).copyFrom(x);
          Float32Buffer gb = alloc.allocateFloat32(count).copyFrom(g)) {
        for (BatchNorm b : new BatchNorm[] {fused, bn}) {
          float[] gamma = b.parameters().get(0).values();
          float[] beta = b.parameters().get(1).values();
          SplittableRandom p = new SplittableRandom(7);
          for (int ch = 0; ch < gamma.length; ch++) {
            gamma[ch] = (float) (p.nextDouble(-1.5, 1.5));
            beta[ch] = (float) (p.nextDouble(-0.5, 0.5));
          }
        }
        float[] yFused = fused.forward(xb, batch, true).toArray();
        float[] ySeparate = relu.forward(bn.forward(xb, batch, true), batch, true).toArray();
        assertArrayEquals(bits(ySeparate), bits(yFused), "forward output");
        long zeros = 0;
        for (float v : yFused) {
          zeros += v == 0f ? 1 : 0;
        }
        assertTrue(zeros > count / 10 && zeros < count * 9 / 10, "the ReLU cuts: " + zeros);
        float[] gxFused = fused.backward(gb, batch, true).toArray();
        float[] gxSeparate = bn.backward(relu.backward(gb, batch, true), batch, true).toArray();
        assertArrayEquals(bits(gxSeparate), bits(gxFused), "input error");
        for (int i = 0; i < 2; i++) {
          assertArrayEquals(bits(bn.parameters().get(i).grad()),
              bits(fused.parameters().get(i).grad()), "gradient of parameter " + i);
        }
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = ';',
      value = {"conv(4,3)-bn-relu-maxpool(2)-fc;1", "conv(4,3)-bn-bn-relu-relu-fc;1",
          "conv(4,3)-relu-bn-fc;0", "resnet8;4"})
  void builderFusesEachBnReluPair(String text, int expectedPairs) {
    try (OffHeapAllocator alloc = new OffHeapAllocator("bn-relu-build")) {
      LayerContext ctx = new LayerContext(Backends.byName("java"), alloc,
          EngineConfig.defaults(Precision.INT8));
      try (Network net = Network.build(NetworkSpec.parse(text, 10), Shape.chw(1, 8, 8), 2, ctx)) {
        int fusedBn = 0;
        int fusedRelu = 0;
        Layer previous = null;
        for (Layer l : net.layers()) {
          if (l instanceof BatchNorm b && b.fusesRelu()) {
            fusedBn++;
          }
          if (l instanceof Relu r && r.fusedIntoBatchNorm()) {
            fusedRelu++;
            assertTrue(previous instanceof BatchNorm b && b.fusesRelu(),
                "fused relu after " + previous);
          }
          previous = l;
        }
        assertTrue(fusedBn == expectedPairs && fusedRelu == expectedPairs,
            text + ": " + fusedBn + " fused bn, " + fusedRelu + " fused relu, expected "
                + expectedPairs);
      }
    }
  }

  private static int[] bits(float[] v) {
    int[] b = new int[v.length];
    for (int i = 0; i < v.length; i++) {
      b[i] = Float.floatToRawIntBits(v[i]);
    }
    return b;
  }
}
