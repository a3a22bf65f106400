package io.sparkint8.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkint8.kernels.memory.Float32Buffer;
import io.sparkint8.kernels.memory.OffHeapAllocator;
import io.sparkint8.kernels.ref.JavaBackend;
import io.sparkint8.nn.BatchNorm;
import io.sparkint8.nn.EngineConfig;
import io.sparkint8.nn.LayerContext;
import io.sparkint8.nn.ModelState;
import io.sparkint8.nn.Network;
import io.sparkint8.nn.Precision;
import io.sparkint8.nn.WeightScaling;
import io.sparkint8.nn.spec.NetworkSpec;
import io.sparkint8.nn.spec.Shape;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Every layer kind, exported and run by ONNX Runtime, computes what the engine's inference
 * forward pass computes: networks with random weights and random BatchNorm running statistics
 * (so that a wrong fold, layout or weight order shows), in fp32 and in int8 with per-channel and
 * per-tensor weight scales, on rows of very different magnitudes, one of them all zeros.
 */
class OnnxExportEquivalenceTest {
  private static final int ROWS = 7;
  private static final int CLASSES = 5;

  @ParameterizedTest(name = "{0} on {1}x{2}x{3}, {4}, per-channel {5}")
  @CsvSource(delimiter = ';', value = {
    "conv(4,3)-bn-relu-maxpool(2)-conv(6,3,s=2,p=0,bias=false)-bn-l1-relu-avgpool(2,s=1,p=1)"
        + "-fc(10)-relu-dropout(0.3)-fc; 3; 9; 9; int8; true",
    "conv(4,3)-bn-relu-maxpool(2)-conv(6,3,s=2,p=0,bias=false)-bn-l1-relu-avgpool(2,s=1,p=1)"
        + "-fc(10)-relu-dropout(0.3)-fc; 3; 9; 9; int8; false",
    "conv(4,3)-bn-relu-maxpool(2)-conv(6,3,s=2,p=0,bias=false)-bn-l1-relu-avgpool(2,s=1,p=1)"
        + "-fc(10)-relu-dropout(0.3)-fc; 3; 9; 9; fp32; true",
    "mlp; 1; 6; 6; int8; true",
    "mlp; 2; 3; 4; fp32; true",
    "conv(8,3,bias=false)-bn-relu-res(conv(8,3,bias=false)-bn-relu-conv(8,3,bias=false)-bn)-relu"
        + "-res(conv(12,3,s=2,bias=false)-bn-relu-conv(12,3,bias=false)-bn)-relu-gap-fc;"
        + " 2; 8; 8; int8; true",
    "conv(8,3,bias=false)-bn-relu-res(conv(8,3,bias=false)-bn-relu-conv(8,3,bias=false)-bn)-relu"
        + "-res(conv(12,3,s=2,bias=false)-bn-relu-conv(12,3,bias=false)-bn)-relu-gap-fc;"
        + " 2; 8; 8; fp32; true",
    "fc(16)-bn-relu-fc; 1; 4; 4; int8; true",
    "conv(5,1,p=0)-relu-flatten-bn-l1-fc(7)-res(fc(7)-relu)-fc; 3; 4; 5; int8; true",
    "conv(5,1,p=0)-relu-flatten-bn-l1-fc(7)-res(fc(7)-relu)-fc; 3; 4; 5; int8; false",
    "bn-conv(4,3)-maxpool(3,s=2,p=1)-res(conv(4,3))-fc; 2; 7; 6; int8; true",
    "bn-conv(4,3)-maxpool(3,s=2,p=1)-res(conv(4,3))-fc; 2; 7; 6; fp32; true"
  })
  void onnxRuntimeComputesTheEnginesInference(String spec, int c, int h, int w,
      String precision, boolean perChannel) throws Exception {
    long seed = spec.hashCode() * 31L + precision.hashCode() + (perChannel ? 1 : 0);
    Shape in = Shape.chw(c, h, w);
    SplittableRandom rnd = new SplittableRandom(seed);
    float[] x = new float[ROWS * in.size()];
    for (int i = 0; i < x.length; i++) {
      int row = i / in.size();
      // rows on scales from 0.01 to 100, and row 3 all zeros
      x[i] = row == 3 ? 0f : (float) (gaussian(rnd) * Math.pow(10, row % 5 - 2));
    }
    EngineConfig cfg = EngineConfig.defaults(Precision.parse(precision))
        .withWeightScaling(perChannel ? WeightScaling.PER_CHANNEL : WeightScaling.PER_TENSOR)
        .withSeed(seed);
    try (OffHeapAllocator alloc = new OffHeapAllocator("onnx-equivalence");
        Network net = Network.build(NetworkSpec.parse(spec, CLASSES), in, ROWS,
            new LayerContext(new JavaBackend(), alloc, cfg));
        Float32Buffer input = alloc.allocateFloat32(x.length).copyFrom(x)) {
      randomize(net, rnd);
      ModelState state = ModelState.capture(net);
      float[] engine = net.forward(input, ROWS, false).toArray();
      OnnxExport.Result exported = OnnxExport.export(state);
      OnnxRuntimeRunner.Outputs onnx;
      try (OnnxRuntimeRunner runner = new OnnxRuntimeRunner(exported.bytes())) {
        onnx = runner.run(x, ROWS);
      }
      String context = spec + " " + precision + " per-channel " + perChannel + " (seed " + seed
          + "), ops " + exported.opCounts();
      double largest = 0;
      for (int i = 0; i < ROWS * CLASSES; i++) {
        largest = Math.max(largest, Math.abs(engine[i]));
      }
      assertTrue(largest > 1e-3, "degenerate logits, the check would be empty: " + context);
      for (int r = 0; r < ROWS; r++) {
        float[] mine = Arrays.copyOfRange(engine, r * CLASSES, (r + 1) * CLASSES);
        float[] theirs = onnx.rawPrediction()[r];
        for (int j = 0; j < CLASSES; j++) {
          assertEquals(mine[j], theirs[j], 1e-5 * Math.max(1, largest),
              "logit " + j + " of row " + r + ": engine " + Arrays.toString(mine) + ", ONNX "
                  + Arrays.toString(theirs) + "; " + context);
        }
        double[] p = softmax(mine);
        for (int j = 0; j < CLASSES; j++) {
          assertEquals(p[j], onnx.probability()[r][j], 1e-5,
              "probability " + j + " of row " + r + "; " + context);
        }
      }
      if (!precision.equals("fp32")) {
        assertTrue(exported.opCounts().getOrDefault("QuantizeLinear", 0) > 0, context);
      }
    }
  }

  /** Random weights and BatchNorm statistics, so that every folded and permuted value matters. */
  private static void randomize(Network net, SplittableRandom rnd) {
    float[][] weights = net.weights();
    for (float[] p : weights) {
      double std = 1 / Math.sqrt(Math.max(1, p.length / 8));
      for (int i = 0; i < p.length; i++) {
        p[i] = (float) (gaussian(rnd) * std + (p.length < 64 ? 0.5 : 0));
      }
    }
    net.setWeights(weights);
    for (BatchNorm bn : net.batchNorms()) {
      int channels = bn.runningMean().length;
      double[] mean = new double[channels];
      double[] scale = new double[channels];
      for (int ch = 0; ch < channels; ch++) {
        mean[ch] = gaussian(rnd) * 0.5;
        scale[ch] = 0.5 + rnd.nextDouble() * 2;
      }
      bn.setRunning(mean, scale);
    }
  }

  private static double[] softmax(float[] z) {
    double max = Double.NEGATIVE_INFINITY;
    for (float v : z) {
      max = Math.max(max, v);
    }
    double sum = 0;
    double[] p = new double[z.length];
    for (int i = 0; i < z.length; i++) {
      p[i] = Math.exp(z[i] - max);
      sum += p[i];
    }
    for (int i = 0; i < z.length; i++) {
      p[i] /= sum;
    }
    return p;
  }

  private static double gaussian(SplittableRandom rnd) {
    double u = rnd.nextDouble();
    double v = rnd.nextDouble();
    return Math.sqrt(-2 * Math.log(1 - u)) * Math.cos(2 * Math.PI * v);
  }
}
