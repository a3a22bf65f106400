package io.sparkint8.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkint8.kernels.Backends;
import io.sparkint8.kernels.memory.Float32Buffer;
import io.sparkint8.kernels.memory.OffHeapAllocator;
import io.sparkint8.nn.spec.Shape;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The int8 input gradient of a stride-1 convolution, computed as the transposed convolution over the
 * error codes, is exactly the scaled integer sum of the convolution's adjoint: for every input cell,
 * (float) sum over (output channel, window tap) of error code * folded weight code, times the folded
 * weight scale, recomputed here from the codes the layer used. Awkward sizes: odd channel counts, 1x1
 * images, kernels 1 (padded), 3 and 5, paddings 0 to kernel-1.
 */
class ConvTransposedGradientTest {
  @ParameterizedTest(name = "in {0}x{1}x{2} out {3} k{4} p{5} batch {6} on {7}")
  @CsvSource({
    "3,7,5,17,3,1,2,java", "3,7,5,17,3,1,2,auto", "1,1,1,3,3,1,3,auto", "5,6,6,4,5,2,1,auto",
    "2,9,4,7,3,0,2,auto", "4,5,5,6,1,0,2,java", "1,8,8,33,3,2,1,auto"
  })
  void inputGradientIsTheExactAdjointSum(int c, int h, int w, int oc, int k, int pad, int batch,
      String backend) {
    try (OffHeapAllocator alloc = new OffHeapAllocator("transposed-grad")) {
      LayerContext ctx = new LayerContext(Backends.byName(backend), alloc,
          EngineConfig.defaults(Precision.INT8));
      Shape in = Shape.chw(c, h, w);
      try (Conv2d conv = new Conv2d(ctx, in, batch, oc, k, 1, pad, true)) {
        Shape out = conv.outputShape();
        SplittableRandom rnd = new SplittableRandom(7L * c + 31L * k + pad);
        float[] x = new float[batch * in.size()];
        for (int i = 0; i < x.length; i++) {
          x[i] = (float) GemmCore.gaussian(rnd);
        }
        float[] g = new float[batch * out.size()];
        for (int i = 0; i < g.length; i++) {
          g[i] = (float) GemmCore.gaussian(rnd);
        }
        try (Float32Buffer xb = alloc.allocateFloat32(x.length).copyFrom(x);
            Float32Buffer gb = alloc.allocateFloat32(g.length).copyFrom(g)) {
          conv.forward(xb, batch, true);
          float[] got = conv.backward(gb, batch, true).toArray();
          GemmCore core = conv.core();
          int rows = batch * out.height() * out.width();
          byte[] e = core.errorCodes().toArray(); // [oc x rows]
          byte[] wf = core.foldedWeightCodes().toArray(); // [oc x (i, j, c)]
          float scale = core.foldedWeightScale();
          float[] want = new float[batch * in.size()];
          long nonzero = 0;
          for (int b = 0; b < batch; b++) {
            for (int y = 0; y < h; y++) {
              for (int xx = 0; xx < w; xx++) {
                for (int ci = 0; ci < c; ci++) {
                  long acc = 0;
                  for (int i = 0; i < k; i++) {
                    for (int j = 0; j < k; j++) {
                      int oy = y + pad - i;
                      int ox = xx + pad - j;
                      if (oy < 0 || oy >= out.height() || ox < 0 || ox >= out.width()) {
                        continue;
                      }
                      int r = (b * out.height() + oy) * out.width() + ox;
                      for (int co = 0; co < oc; co++) {
                        acc += (long) e[co * rows + r] * wf[co * k * k * c + (i * k + j) * c + ci];
                      }
                    }
                  }
                  nonzero += acc != 0 ? 1 : 0;
                  want[((b * h + y) * w + xx) * c + ci] = (float) acc * scale;
                }
              }
            }
          }
          assertTrue(nonzero > want.length / 2, "the sums are mostly nonzero: " + nonzero);
          assertArrayEquals(bits(want), bits(got), "G_X");
        }
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
