package io.sparkint8.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.sparkint8.kernels.Backends;
import io.sparkint8.kernels.memory.Float32Buffer;
import io.sparkint8.kernels.memory.OffHeapAllocator;
import io.sparkint8.kernels.spi.Int8Backend;
import io.sparkint8.nn.CountingBackend.Gemm;
import io.sparkint8.nn.spec.NetworkSpec;
import io.sparkint8.nn.spec.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * In {@code int8} mode a training step runs every conv/fc layer's three GEMMs in int8 — forward,
 * grad_input (except the first layer, which needs none) and grad_weight — and no fp32 GEMM, except
 * what the documented stem policy keeps in fp32 ({@link Network#STEM_MAX_CHANNELS}: a first conv
 * reading at most 4 input channels runs int8 forward and an fp32 grad_weight). A stem whose window
 * has at most {@link Int8Backend#DIRECT_CONV_MAX_PATCH} cells runs those two as direct convolutions
 * instead of im2col + GEMM: its int8 forward as convS8Direct (convS8DirectSums when a bn-relu-maxpool
 * follows), its fp32 grad_weight as convGradWeightF32Direct (or inside that bn-relu-maxpool's
 * backward, bnMaxPoolBackwardMoments), the network's only fp32 grad_weight; a larger stem window keeps the
 * GEMMs. Counted through a backend proxy ({@link CountingBackend}), so a layer that silently fell
 * back to fp32 would show up as an fp32 GEMM (or fp32 direct convolution) or a missing int8 one.
 */
class Int8GemmCountTest {
  static final int BATCH = 3;

  @ParameterizedTest(name = "{0} on {1}x{2}x{2}")
  @CsvSource({"cnn-small, 1, 28", "resnet8, 1, 28", "cnn-small, 8, 12",
      "fc(32)-relu-fc(16)-relu-fc, 1, 6", "'conv(8,5)-relu-conv(8,3)-relu-fc', 3, 10"})
  void everyConvAndFcRunsItsThreeGemmsInInt8(String spec, int channels, int size) {
    Shape input = Shape.chw(channels, size, size);
    CountingBackend counter = CountingBackend.over(Backends.get());
    try (OffHeapAllocator alloc = new OffHeapAllocator("gemm count");
        Network net = Network.build(NetworkSpec.presetNames().contains(spec)
            ? NetworkSpec.preset(spec, 10) : NetworkSpec.parse(spec, 10), input, BATCH,
            new LayerContext(counter.backend(), alloc, EngineConfig.defaults(Precision.INT8)))) {
      List<Gemm> expectedInt8 = new ArrayList<>();
      List<List<Gemm>> inputGrads = new ArrayList<>();
      List<Gemm> expectedFp32 = new ArrayList<>();
      List<Gemm> expectedDirect = new ArrayList<>();
      boolean first = true;
      int layers = 0;
      for (Layer l : net.layers()) {
        if (!(l instanceof Conv2d || l instanceof Linear)) {
          continue;
        }
        layers++;
        Shape in = l.inputShape();
        Shape out = l.outputShape();
        boolean conv = l instanceof Conv2d;
        int n = conv ? out.channels() : out.size();
        int k = l.parameters().get(0).values().length / n;
        int rows = conv ? BATCH * out.height() * out.width() : BATCH;
        boolean stem = conv && first && in.channels() <= Network.STEM_MAX_CHANNELS;
        assertEquals(stem ? Precision.INT8_FORWARD : Precision.INT8,
            conv ? ((Conv2d) l).precision() : Precision.INT8, l.describe());
        // a stem with a small window (k is its window: kernel^2 * channels) runs direct convolutions
        boolean directStem = stem && k <= Int8Backend.DIRECT_CONV_MAX_PATCH;
        if (directStem) {
          expectedDirect.add(new Gemm("int8-direct", rows, n, k)); // forward: X W^T
          expectedDirect.add(new Gemm("fp32-direct", n, k, rows)); // grad_weight: G_Y^T X
        } else {
          expectedInt8.add(new Gemm("int8", rows, n, k)); // forward: X W^T
          // grad_weight: G_Y^T X, int8 unless the stem policy keeps it fp32 (then maybe transposed)
          (stem ? expectedFp32 : expectedInt8).add(new Gemm(stem ? "fp32" : "int8", n, k, rows));
        }
        if (!first) {
          // grad_input: G_Y W' for fc (and a conv through col2im), or the transposed convolution
          List<Gemm> either = new ArrayList<>(List.of(new Gemm("int8", rows, k, n)));
          if (conv) {
            either.add(new Gemm("int8", BATCH * in.height() * in.width(), in.channels(),
                k / in.channels() * n));
          }
          inputGrads.add(either);
        }
        first = false;
      }
      assertTrue(layers >= 3, spec + ": " + layers + " conv/fc layers");

      counter.reset();
      train(net, alloc, input);
      List<Gemm> got = counter.gemms();
      List<Gemm> left = new ArrayList<>(got);
      for (Gemm e : expectedInt8) {
        take(left, List.of(e), spec + ": forward or grad_weight " + e, got);
      }
      for (List<Gemm> either : inputGrads) {
        take(left, either, spec + ": grad_input, one of " + either, got);
      }
      for (Gemm e : expectedDirect) {
        take(left, List.of(e), spec + ": the stem's direct convolution " + e, got);
      }
      for (Gemm e : expectedFp32) {
        // an fp32 grad_weight with k much narrower than n runs as X^T G_Y (GemmCore)
        take(left, List.of(e, new Gemm("fp32", e.n(), e.m(), e.k())),
            spec + ": the stem's fp32 grad_weight " + e, got);
      }
      assertEquals(List.of(), left, spec + ": GEMMs outside the policy (all: " + got + ")");
      assertEquals(expectedInt8.size() + inputGrads.size(), got.stream()
          .filter(g -> g.kind().equals("int8")).count(), spec + " int8 GEMMs: " + got);
      System.out.println(spec + ": " + got.size() + " GEMMs, calls " + counter.calls());
    }
  }

  private static void take(List<Gemm> left, List<Gemm> candidates, String what, List<Gemm> all) {
    for (Gemm c : candidates) {
      if (left.remove(c)) {
        return;
      }
    }
    fail(what + " was not run; GEMMs run: " + all);
  }

  private static void train(Network net, OffHeapAllocator alloc, Shape input) {
    SplittableRandom rnd = new SplittableRandom(3);
    float[] x = new float[BATCH * input.size()];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) rnd.nextDouble(-1, 1);
    }
    int[] labels = new int[BATCH];
    for (int i = 0; i < BATCH; i++) {
      labels[i] = rnd.nextInt(10);
    }
    try (Float32Buffer xb = alloc.allocateFloat32(x.length).copyFrom(x)) {
      net.context().beginStep(0, 0);
      net.trainStep(xb, labels, 0, BATCH);
    }
  }
}
