package io.sparkint8.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkint8.kernels.memory.Float32Buffer;
import io.sparkint8.kernels.memory.OffHeapAllocator;
import io.sparkint8.kernels.ref.JavaBackend;
import io.sparkint8.kernels.spi.Int8Backend;
import io.sparkint8.nn.spec.LayerShape;
import io.sparkint8.nn.spec.LayerSpec;
import io.sparkint8.nn.spec.NetworkShapes;
import io.sparkint8.nn.spec.NetworkSpec;
import io.sparkint8.nn.spec.Shape;
import io.sparkint8.optim.Parameter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link Network#build} builds exactly what shape inference computed: a spec that passes inference
 * builds, with every layer's shapes equal to the inferred ones, and a spec that fails inference
 * fails to build with the same named error.
 */
class NetworkBuildTest {
  static final int CLASSES = 3;
  static final int BATCH = 2;
  static final long SEED = 20_240_611L;
  static final int[] ODD_SIZES = {1, 3, 5, 7, 9, 17};

  /** The layer class each layer kind of the grammar builds. */
  static final Map<Class<? extends LayerSpec>, Class<? extends Layer>> BUILT_BY =
      Map.of(
          LayerSpec.Conv.class, Conv2d.class,
          LayerSpec.Fc.class, Linear.class,
          LayerSpec.Bn.class, BatchNorm.class,
          LayerSpec.Relu.class, Relu.class,
          LayerSpec.MaxPool.class, Pool2d.class,
          LayerSpec.AvgPool.class, Pool2d.class,
          LayerSpec.GlobalAvgPool.class, Pool2d.class,
          LayerSpec.Flatten.class, Flatten.class,
          LayerSpec.Dropout.class, Dropout.class);

  OffHeapAllocator alloc;

  @BeforeEach
  void open() {
    alloc = new OffHeapAllocator("network-build-test");
  }

  @AfterEach
  void close() {
    alloc.close();
  }

  @Test
  void aStrideTwoResidualBlockOnASevenBySevenInputBuildsWithTheInferredProjection() {
    // (7 + 2 - 3) / 2 + 1 = 4: the shortcut needs a 1x1 conv of stride 2 (7 / 4 rounds down to 1,
    // which gives 7x7 and no match; the stride is the ceiling, 2)
    NetworkSpec spec =
        NetworkSpec.parse("conv(8,3)-res(conv(16,3,s=2)-bn-relu-conv(16,3)-bn)-relu-gap-fc", 10);
    Shape input = Shape.chw(1, 7, 7);
    LayerShape inferred = spec.shapes(input).layers().get(1);
    assertEquals(Shape.chw(16, 4, 4), inferred.output());
    assertEquals(new LayerSpec.Conv(16, 1, 2, 0, false), inferred.projection().get(0).layer());
    try (Network net = build(spec, input, Precision.INT8)) {
      Residual block = assertInstanceOf(Residual.class, net.root().children().get(1));
      Conv2d shortcut = assertInstanceOf(Conv2d.class, block.projection().children().get(0));
      assertEquals("conv(16,1,s=2,p=0)", shortcut.describe());
      assertEquals(Shape.chw(16, 4, 4), shortcut.outputShape());
      assertEquals(Shape.chw(16, 4, 4), block.outputShape());
      assertLayersMatch(spec.shapes(input), net, spec.toString());
      assertTrainStepRuns(net, input, spec.toString());
    }
  }

  @Test
  void layersAreNamedByKindAndConstructionIndexAndParametersAfterTheirLayer() {
    // construction order: conv0 bn1 relu2, the body conv3 bnl14 in seq5, the projection conv6
    // bn7 in seq8, the block res9, gap10, fc11, the root seq12
    NetworkSpec spec = NetworkSpec.parse("conv(4,3)-bn-relu-res(conv(8,3,s=2)-bn-l1)-gap-fc", 3);
    try (Network net = build(spec, Shape.chw(1, 5, 5), Precision.FP32)) {
      assertEquals("seq12", net.root().name());
      Layer block = net.root().children().get(3);
      assertEquals("res9", block.name());
      assertEquals(List.of("seq5", "seq8"), block.children().stream().map(Layer::name).toList());
      assertEquals(
          List.of("conv0", "bn1", "relu2", "conv3", "bnl14", "conv6", "bn7", "gap10", "fc11"),
          net.layers().stream().map(Layer::name).toList());
      assertEquals(
          List.of(
              "conv0.weight", "conv0.bias", "bn1.gamma", "bn1.beta", "conv3.weight", "conv3.bias",
              "bnl14.gamma", "bnl14.beta", "conv6.weight", "bn7.gamma", "bn7.beta", "fc11.weight",
              "fc11.bias"),
          net.parameters().stream().map(Parameter::name).toList());
      assertEquals(
          List.of("bn1", "bnl14", "bn7"), net.batchNorms().stream().map(Layer::name).toList());
    }
  }

  @ParameterizedTest(name = "{0}x{0}")
  @ValueSource(ints = {1, 3, 5, 7, 9, 17})
  void stridedResidualBlocksBuildOnOddSizes(int size) {
    NetworkSpec spec =
        NetworkSpec.parse(
            "conv(4,3)-res(conv(8,3,s=2)-bn)-relu-res(conv(8,3,s=3)-bn-avgpool(3,s=1,p=1))-gap-fc",
            CLASSES);
    Shape input = Shape.chw(2, size, size);
    NetworkShapes shapes = spec.shapes(input);
    try (Network net = build(spec, input, Precision.FP32)) {
      assertLayersMatch(shapes, net, spec + " on " + input);
      assertTrainStepRuns(net, input, spec + " on " + input);
    }
  }

  /**
   * Seeded random specs (convs and pools with strides and paddings, residual blocks, some nested,
   * dropout, both bn variants) on inputs with odd sides: every spec that passes inference builds,
   * its layers' shapes equal the inferred ones and a training step runs; every spec that fails
   * inference fails to build with the same message.
   */
  @Test
  void everySpecThatPassesInferenceBuildsWithTheInferredShapes() {
    SplittableRandom random = new SplittableRandom(SEED);
    int accepted = 0;
    int rejected = 0;
    int stridedProjections = 0;
    for (int i = 0; i < 300; i++) {
      String text = randomSpec(random);
      Shape input =
          Shape.chw(
              1 + random.nextInt(3),
              ODD_SIZES[random.nextInt(ODD_SIZES.length)],
              ODD_SIZES[random.nextInt(ODD_SIZES.length)]);
      Precision precision = random.nextBoolean() ? Precision.FP32 : Precision.INT8;
      String where = "seed " + SEED + ", spec #" + i + " '" + text + "' on " + input;
      NetworkSpec spec = NetworkSpec.parse(text, CLASSES);
      NetworkShapes shapes;
      try {
        shapes = spec.shapes(input);
      } catch (IllegalArgumentException inferenceError) {
        rejected++;
        IllegalArgumentException buildError =
            assertThrows(
                IllegalArgumentException.class, () -> build(spec, input, precision).close(), where);
        assertEquals(inferenceError.getMessage(), buildError.getMessage(), where);
        continue;
      }
      accepted++;
      stridedProjections += countStridedProjections(shapes.layers());
      try (Network net = build(spec, input, precision);
          Network own = Network.buildWithOwnBuffers(spec, input, BATCH, context(precision))) {
        assertLayersMatch(shapes, net, where);
        StepResult step = assertTrainStepRuns(net, input, where);
        assertSameStep(assertTrainStepRuns(own, input, where), step, where);
        assertSameLogits(own, net, input, where);
      }
    }
    // the generator must exercise both outcomes and the case this test exists for
    assertTrue(accepted >= 100, "only " + accepted + " of 300 specs passed inference");
    assertTrue(rejected >= 20, "only " + rejected + " of 300 specs failed inference");
    assertTrue(stridedProjections >= 20, "only " + stridedProjections + " strided projections");
  }

  /**
   * A bn-relu-maxpool whose windows tile the image runs as one fused layer (the relu and the pool
   * pass through) and gives the loss, gradients, statistics and logits of the three layers run
   * apart, bit for bit, in both precisions, on sides the windows do not divide (cells in no window);
   * a pool with overlapping or padded windows is not fused.
   */
  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"FP32", "INT8"})
  void aBatchNormFollowedByReluAndATilingMaxPoolFusesAtTheSameBits(String precisionName) {
    Precision precision = Precision.valueOf(precisionName);
    NetworkSpec spec = NetworkSpec.parse("conv(16,3,s=1,p=1)-bn-relu-maxpool(2,s=2,p=0)"
        + "-conv(20,3,s=1,p=1)-bn-relu-maxpool(3,s=3,p=0)-conv(8,1)-bn-relu-maxpool(2,s=1,p=0)"
        + "-flatten-fc", CLASSES);
    for (Shape input : List.of(Shape.chw(1, 13, 13), Shape.chw(3, 12, 15))) {
      String where = spec + " on " + input + " in " + precision;
      try (Network fused = Network.buildWithoutStemFusion(spec, input, BATCH,
              context(precision));
          Network apart = Network.buildWithoutPoolFusion(spec, input, BATCH, context(precision))) {
        List<Integer> kernels = fused.batchNorms().stream().map(BatchNorm::fusedPoolKernel)
            .toList();
        assertEquals(List.of(2, 3, 0), kernels, where + ": the stride-1 pool overlaps");
        assertEquals(List.of(0, 0, 0),
            apart.batchNorms().stream().map(BatchNorm::fusedPoolKernel).toList(), where);
        assertLayersMatch(spec.shapes(input), fused, where);
        assertSameStep(assertTrainStepRuns(apart, input, where),
            assertTrainStepRuns(fused, input, where), where);
        assertSameLogits(apart, fused, input, where);
      }
    }
  }

  /**
   * In int8 the backward of the direct stem runs inside the bn-relu-maxpool after it (in fp32 the
   * stem is no direct convolution and keeps its own). The loss, statistics, logits and every
   * gradient but the stem's and that batch norm's are those of the stem's own backward, bit for bit;
   * those four are the same sums in another order, so each agrees within 1e-4 of its tensor's
   * largest gradient (the stem's bias, whose exact gradient is 0, within 1e-4 of its weights').
   */
  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"FP32", "INT8"})
  void theStemBackwardInsideItsBatchNormChangesOnlyTheStemGradientsByRounding(
      String precisionName) {
    Precision precision = Precision.valueOf(precisionName);
    boolean int8 = precision == Precision.INT8;
    NetworkSpec spec = NetworkSpec.parse("conv(16,3,s=1,p=1)-bn-relu-maxpool(2,s=2,p=0)"
        + "-conv(20,3,s=1,p=1)-bn-relu-maxpool(3,s=3,p=0)-flatten-fc", CLASSES);
    for (Shape input : List.of(Shape.chw(1, 13, 13), Shape.chw(3, 12, 15))) {
      String where = spec + " on " + input + " in " + precision;
      Map<String, Integer> calls = new java.util.TreeMap<>();
      try (Network fused = Network.build(spec, input, BATCH, countingContext(precision, calls));
          Network apart = Network.buildWithoutStemFusion(spec, input, BATCH,
              context(precision))) {
        assertEquals(List.of(int8, false),
            fused.batchNorms().stream().map(BatchNorm::fusesStemBackward).toList(), where);
        assertEquals(List.of(false, false),
            apart.batchNorms().stream().map(BatchNorm::fusesStemBackward).toList(), where);
        StepResult want = assertTrainStepRuns(apart, input, where);
        calls.clear();
        StepResult got = assertTrainStepRuns(fused, input, where);
        // in int8 the stem sums its output for the first bn's statistics, which then make one pass
        assertEquals(int8 ? 1 : 0, calls.getOrDefault("convS8DirectSums", 0), where + " " + calls);
        assertEquals(int8 ? 1 : 0, calls.getOrDefault("bnDeviations", 0), where + " " + calls);
        assertEquals(int8 ? 1 : 2, calls.getOrDefault("bnStatistics", 0), where + " " + calls);
        assertEquals(int8 ? 1 : 0, calls.getOrDefault("bnMaxPoolBackwardMoments", 0),
            where + " " + calls);
        assertEquals(want.lossSum(), got.lossSum(), 0.0, where + ": loss");
        // the stem's weight and bias, then the first batch norm's gamma and beta
        List<Parameter> params = fused.parameters();
        int rounded = 0;
        for (int p = 0; p < want.gradients().length; p++) {
          float[] w = want.gradients()[p];
          float[] g = got.gradients()[p];
          String name = params.get(p).name();
          if (!int8 || p >= 4) {
            assertArrayEquals(w, g, where + ": gradient of " + name);
            continue;
          }
          rounded++;
          float scale = 0f;
          for (float v : want.gradients()[p == 1 ? 0 : p]) {
            scale = Math.max(scale, Math.abs(v));
          }
          assertTrue(scale > 0f, where + ": a zero gradient of " + name + " proves nothing");
          for (int i = 0; i < w.length; i++) {
            assertEquals(w[i], g[i], 1e-4f * scale, where + ": " + name + "[" + i + "]");
          }
        }
        assertEquals(int8 ? 4 : 0, rounded, where + ": the stem's and the first bn's parameters");
        assertTrue(params.get(2).name().endsWith(".gamma") && params.get(3).name().endsWith(".beta"),
            where + ": " + params.get(2).name() + ", " + params.get(3).name());
        for (int b = 0; b < want.bnStats().size(); b++) {
          assertArrayEquals(want.bnStats().get(b).mean(), got.bnStats().get(b).mean(),
              where + ": bn mean " + b);
        }
        assertSameLogits(apart, fused, input, where);
      }
    }
  }

  private Network build(NetworkSpec spec, Shape input, Precision precision) {
    return Network.build(spec, input, BATCH, context(precision));
  }

  /** A context whose backend counts its calls by method name into {@code calls}. */
  private LayerContext countingContext(Precision precision, Map<String, Integer> calls) {
    Int8Backend inner = new JavaBackend();
    Int8Backend counting = (Int8Backend) java.lang.reflect.Proxy.newProxyInstance(
        Int8Backend.class.getClassLoader(), new Class<?>[] {Int8Backend.class},
        (proxy, method, args) -> {
          calls.merge(method.getName(), 1, Integer::sum);
          try {
            return method.invoke(inner, args);
          } catch (java.lang.reflect.InvocationTargetException e) {
            throw e.getCause();
          }
        });
    return new LayerContext(counting, alloc, EngineConfig.defaults(precision));
  }

  private LayerContext context(Precision precision) {
    return new LayerContext(new JavaBackend(), alloc, EngineConfig.defaults(precision));
  }

  /**
   * The network's shared slots change no bit: a step gives the loss, gradients and statistics of the
   * same network whose layers each hold their own buffers (a slot read after it was overwritten, or
   * written while still needed, would show here).
   */
  private static void assertSameStep(StepResult expected, StepResult actual, String where) {
    assertEquals(expected.lossSum(), actual.lossSum(), 0.0, where + ": loss");
    assertEquals(expected.gradients().length, actual.gradients().length, where);
    for (int p = 0; p < expected.gradients().length; p++) {
      assertArrayEquals(expected.gradients()[p], actual.gradients()[p],
          where + ": gradient of parameter " + p);
    }
    assertEquals(expected.bnStats().size(), actual.bnStats().size(), where);
    for (int b = 0; b < expected.bnStats().size(); b++) {
      assertArrayEquals(expected.bnStats().get(b).mean(), actual.bnStats().get(b).mean(),
          where + ": bn mean " + b);
    }
  }

  /** Inference through the shared slots gives the logits of the network with its own buffers. */
  private void assertSameLogits(Network expected, Network actual, Shape input, String where) {
    float[] x = new float[BATCH * input.size()];
    SplittableRandom random = new SplittableRandom(SEED + 1);
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) random.nextDouble(-1, 1);
    }
    try (Float32Buffer images = alloc.float32Of(x)) {
      float[] want = expected.forward(images, BATCH, false).toArray();
      float[] got = actual.forward(images, BATCH, false).toArray();
      assertArrayEquals(want, got, where + ": logits");
    }
  }

  /** The built layer tree against the inferred one, and every layer named once. */
  private static void assertLayersMatch(NetworkShapes shapes, Network net, String where) {
    assertEquals(shapes.input(), net.inputShape(), where);
    assertChildrenMatch(shapes.layers(), net.root().children(), where);
    List<String> names = net.layers().stream().map(Layer::name).toList();
    assertEquals(names.size(), new HashSet<>(names).size(), where + ": names " + names);
  }

  private static void assertChildrenMatch(
      List<LayerShape> inferred, List<Layer> built, String where) {
    assertEquals(inferred.size(), built.size(), where + ": layer count");
    for (int i = 0; i < built.size(); i++) {
      LayerShape expected = inferred.get(i);
      Layer layer = built.get(i);
      String at = where + ", layer " + expected;
      assertEquals(expected.input(), layer.inputShape(), at);
      assertEquals(expected.output(), layer.outputShape(), at);
      if (expected.layer() instanceof LayerSpec.Residual) {
        Residual block = assertInstanceOf(Residual.class, layer, at);
        assertChildrenMatch(expected.body(), block.body().children(), at);
        assertEquals(expected.projection().isEmpty(), block.projection() == null, at);
        if (block.projection() != null) {
          assertChildrenMatch(expected.projection(), block.projection().children(), at);
        }
      } else {
        assertEquals(BUILT_BY.get(expected.layer().getClass()), layer.getClass(), at);
        assertEquals(List.of(), layer.children(), at);
      }
    }
  }

  private static int countStridedProjections(List<LayerShape> layers) {
    int count = 0;
    for (LayerShape layer : layers) {
      if (!layer.projection().isEmpty()
          && ((LayerSpec.Conv) layer.projection().get(0).layer()).stride() > 1) {
        count++;
      }
      count += countStridedProjections(layer.body());
    }
    return count;
  }

  private StepResult assertTrainStepRuns(Network net, Shape input, String where) {
    SplittableRandom random = new SplittableRandom(SEED);
    float[] x = new float[BATCH * input.size()];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) random.nextDouble(-1, 1);
    }
    try (Float32Buffer images = alloc.float32Of(x)) {
      StepResult step = net.trainStep(images, new int[] {0, CLASSES - 1}, 0, BATCH);
      assertTrue(Double.isFinite(step.lossSum()) && step.lossSum() > 0, where + ": " + step);
      return step;
    }
  }

  /** Layers with strides, paddings and residual blocks, then a head that flattens to classes. */
  private static String randomSpec(SplittableRandom random) {
    List<String> layers = randomLayers(random, 1 + random.nextInt(5), 2);
    String[] heads = {"gap-fc", "fc", "flatten-fc(6)-relu-fc", "gap-bn-fc"};
    layers.add(heads[random.nextInt(heads.length)]);
    return String.join("-", layers);
  }

  /** {@code count} layers; residual blocks nest up to {@code depth} deep. */
  private static List<String> randomLayers(SplittableRandom random, int count, int depth) {
    List<String> layers = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      int kind = random.nextInt(depth > 0 ? 10 : 8);
      int kernel = 1 + random.nextInt(3);
      int stride = 1 + random.nextInt(3);
      switch (kind) {
        case 0, 1 -> layers.add(
            "conv(" + (1 + random.nextInt(6)) + "," + kernel + ",s=" + stride + ",p="
                + random.nextInt(2) + ")");
        case 2 -> layers.add(random.nextBoolean() ? "bn" : "bn-l1");
        case 3 -> layers.add("relu");
        case 4 -> layers.add(
            "maxpool(" + kernel + ",s=" + stride + ",p=" + random.nextInt(kernel / 2 + 1) + ")");
        case 5 -> layers.add(
            "avgpool(" + kernel + ",s=" + stride + ",p=" + random.nextInt(kernel / 2 + 1) + ")");
        case 6 -> layers.add("dropout(0.25)");
        case 7 -> layers.add("conv(" + (1 + random.nextInt(6)) + ",3)");
        default -> layers.add(
            "res(" + String.join("-", randomLayers(random, 1 + random.nextInt(3), depth - 1)) + ")");
      }
    }
    return layers;
  }
}
