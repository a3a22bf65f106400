package io.sparkint8.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkint8.kernels.Backends;
import io.sparkint8.kernels.memory.Float32Buffer;
import io.sparkint8.kernels.memory.OffHeapAllocator;
import io.sparkint8.nn.spec.NetworkSpec;
import io.sparkint8.nn.spec.Shape;
import io.sparkint8.optim.OptimizerConfig;
import io.sparkint8.quant.ClippingKind;
import io.sparkint8.quant.ClippingState;
import io.sparkint8.quant.Dclrs;
import io.sparkint8.step.LayerFactors;
import io.sparkint8.step.StepUpdate;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.zip.CRC32;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A trained network saved, read back and applied to a fresh one gives the same logits and continues
 * training bit for bit; damaged files and mismatched networks are refused with messages.
 */
class ModelStateTest {
  static final long SEED = 7L;
  static final OptimizerConfig SGD = OptimizerConfig.defaults("sgd");
  static final String SPEC = "conv(4,3)-bn-relu-maxpool(2)-fc(8)-bn-relu-fc";
  static final int CLASSES = 3;
  static final Shape INPUT = Shape.chw(1, 8, 8);
  static final int BATCH = 16;

  OffHeapAllocator alloc;

  @BeforeEach
  void open() {
    alloc = new OffHeapAllocator("model-state-test");
  }

  @AfterEach
  void close() {
    alloc.close();
  }

  /**
   * int8 with 4-bit errors in ShiftQuant groups of 32 and a DSGC search every 3 steps, so clipping
   * state really moves.
   */
  static EngineConfig config(String clipping) {
    return new EngineConfig(Precision.INT8, 4, 32, ClippingKind.parse(clipping), 3,
        Dclrs.defaults(),
        WeightScaling.PER_CHANNEL, 1e-4, 0.1, 1e-5, SEED);
  }

  Network network(String spec, EngineConfig cfg) {
    LayerContext ctx = new LayerContext(Backends.get(), alloc, cfg);
    return Network.build(NetworkSpec.parse(spec, CLASSES), INPUT, BATCH, ctx);
  }

  /** The batch of step {@code step}: a function of the step only, so two runs see the same data. */
  static float[] images(long step) {
    SplittableRandom r = new SplittableRandom(SEED * 1_000 + step);
    float[] x = new float[BATCH * INPUT.size()];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) r.nextDouble(-1, 1);
    }
    return x;
  }

  static int[] labels(long step) {
    SplittableRandom r = new SplittableRandom(SEED * 2_000 + step);
    int[] y = new int[BATCH];
    for (int i = 0; i < BATCH; i++) {
      y[i] = r.nextInt(CLASSES);
    }
    return y;
  }

  /** Steps [from, to) as both trainers run them: the network's step, then the StepUpdate. */
  void train(Network net, StepUpdate update, long from, long to) {
    for (long step = from; step < to; step++) {
      try (Float32Buffer x = alloc.allocateFloat32(BATCH * INPUT.size()).copyFrom(images(step))) {
        net.context().beginStep(step, 0);
        StepResult r = net.trainStep(x, labels(step), 0, BATCH);
        update.apply(StepUpdate.meanGradients(r), r.bnStats(), LayerFactors.measure(net), 0.05);
      }
    }
  }

  float[] logits(Network net) {
    try (Float32Buffer x = alloc.allocateFloat32(BATCH * INPUT.size()).copyFrom(images(999))) {
      return net.forward(x, BATCH, false).toArray();
    }
  }

  static byte[] bytes(ModelState s) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    s.write(out);
    return out.toByteArray();
  }

  /**
   * The state in {@code b} as the stream reader reads it (its messages are the ones asserted),
   * checking that the in-place reader a task uses ({@link ModelState#fromBytes}) agrees: the same
   * state, or a rejection too.
   */
  static ModelState read(byte[] b) throws IOException {
    ModelState streamed;
    try {
      streamed = ModelState.read(new ByteArrayInputStream(b));
    } catch (IOException e) {
      assertThrows(IOException.class, () -> ModelState.fromBytes(b),
          "fromBytes accepts what read refuses: " + e.getMessage());
      throw e;
    }
    assertEquals(streamed, ModelState.fromBytes(b), "fromBytes and read agree");
    return streamed;
  }

  @Test
  void fromBytesWantsExactlyOneStateAndEncodingIsStable() throws IOException {
    byte[] good = savedBytes();
    ModelState state = ModelState.fromBytes(good);
    assertArrayEquals(good, state.toBytes(), "encoding the decoded state gives back its bytes");
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    state.write(out);
    assertArrayEquals(good, out.toByteArray(), "write and toBytes write the same bytes");
    byte[] longer = Arrays.copyOf(good, good.length + 1);
    IOException e = assertThrows(IOException.class, () -> ModelState.fromBytes(longer));
    assertTrue(e.getMessage().contains("payload length"), e.getMessage());
    assertEquals(state, ModelState.read(new ByteArrayInputStream(longer)),
        "the stream reader stops after the CRC");
  }

  static void assertWeightsEqual(Network a, Network b, String why) {
    float[][] wa = a.weights();
    float[][] wb = b.weights();
    assertEquals(wa.length, wb.length, why);
    for (int i = 0; i < wa.length; i++) {
      assertArrayEquals(wa[i], wb[i], why + ": " + a.parameters().get(i).name());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"max", "dsgc", "mcs"})
  void savedAndRestoredModelPredictsAndTrainsBitIdentically(String clipping) throws IOException {
    EngineConfig cfg = config(clipping);
    try (Network trained = network(SPEC, cfg); Network restored = network(SPEC, cfg)) {
      StepUpdate opt = new StepUpdate(trained, SGD);
      train(trained, opt, 0, 4);
      ModelState state = ModelState.capture(trained);
      ModelState back = read(bytes(state));
      assertEquals(state, back, "read(write(s)) equals s");
      assertArrayEquals(bytes(state), bytes(back), "writing is deterministic");
      // the guard: before apply the fresh network really differs from the trained one
      assertFalse(Arrays.equals(logits(trained), logits(restored)), "untrained logits");

      back.apply(restored);
      assertArrayEquals(logits(trained), logits(restored), "inference logits, " + clipping);
      assertEquals(state, ModelState.capture(restored), "capture after apply");

      // momentum lives in the optimizer, which a resumed trainer restores from its own state
      StepUpdate resumedOpt = new StepUpdate(restored, SGD);
      resumedOpt.optimizer().restore(opt.optimizer().state());
      train(trained, opt, 4, 6);
      train(restored, resumedOpt, 4, 6);
      assertWeightsEqual(trained, restored, "after two more steps, " + clipping + ", seed " + SEED);
      assertEquals(ModelState.capture(trained), ModelState.capture(restored), clipping);
      assertArrayEquals(logits(trained), logits(restored), "logits after two more steps");
    }
  }

  @Test
  void clippingStateIsCapturedAndMattersForContinuedTraining() throws IOException {
    EngineConfig cfg = config("mcs");
    try (Network trained = network(SPEC, cfg); Network forgetful = network(SPEC, cfg)) {
      StepUpdate opt = new StepUpdate(trained, SGD);
      train(trained, opt, 0, 4);
      ModelState state = read(bytes(ModelState.capture(trained)));
      assertEquals(List.of("conv0", "fc5", "fc8"), state.clippingLayers());
      for (String layer : state.clippingLayers()) {
        ClippingState s = state.clippingState(layer);
        assertEquals("mcs", s.strategy(), layer);
        // the first conv reads a 1-channel image and so runs its backward fp32 (Network's stem
        // policy): it quantizes no error and its clipping state stays fresh
        boolean stem = layer.equals("conv0");
        assertEquals(stem ? 0 : 4, s.steps(), layer);
        assertTrue(stem || s.size() > 3, layer + " carries per-channel clips");
      }
      // restoring weights and BN but not the clipping state gives other weights two steps on
      state.apply(forgetful);
      for (GemmCore core : ModelState.gemmCores(forgetful)) {
        core.clipping().reset();
      }
      StepUpdate forgetfulOpt = new StepUpdate(forgetful, SGD);
      forgetfulOpt.optimizer().restore(opt.optimizer().state());
      train(trained, opt, 4, 6);
      train(forgetful, forgetfulOpt, 4, 6);
      assertFalse(Arrays.deepEquals(trained.weights(), forgetful.weights()),
          "MCS clips carried over must change the next steps, seed " + SEED);
    }
  }

  @Test
  void runningStatisticsAndParametersAreNamedAndCopied() {
    try (Network net = network(SPEC, config("dsgc"))) {
      train(net, new StepUpdate(net, SGD), 0, 2);
      ModelState s = ModelState.capture(net);
      assertEquals(List.of("conv0.weight", "conv0.bias", "bn1.gamma", "bn1.beta", "fc5.weight",
          "fc5.bias", "bn6.gamma", "bn6.beta", "fc8.weight", "fc8.bias"), s.parameterNames());
      assertEquals(List.of("bn1", "bn6"), s.batchNormNames());
      assertArrayEquals(net.batchNorms().get(1).runningScale(), s.runningScale("bn6"));
      assertArrayEquals(net.batchNorms().get(0).runningMean(), s.runningMean("bn1"));
      assertNotEquals(0.0, s.runningMean("bn1")[0], "running stats moved");
      s.parameter("conv0.weight")[0] = 1e9f; // a copy: the state is immutable
      assertArrayEquals(net.parameters().get(0).values(), s.parameter("conv0.weight"));
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> s.parameter("conv9.weight"));
      assertTrue(e.getMessage().contains("conv9.weight"), e.getMessage());
      assertEquals(NetworkSpec.parse(SPEC, CLASSES).toString(), s.specText());
      assertEquals(NetworkSpec.parse(SPEC, CLASSES), s.spec());
      assertEquals(INPUT, s.inputShape());
      assertEquals(CLASSES, s.numClasses());
      assertEquals(config("dsgc"), s.config());
    }
  }

  @Test
  void savesLoadsAndBuildsFromAFile(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("model.si8m");
    try (Network net = network(SPEC, config("dsgc"))) {
      train(net, new StepUpdate(net, SGD), 0, 3);
      ModelState s = ModelState.capture(net);
      s.save(file);
      ModelState loaded = ModelState.load(file);
      assertEquals(s, loaded);
      try (Network built = loaded.build(Backends.get(), alloc, BATCH)) {
        assertArrayEquals(logits(net), logits(built));
      }
      // a file holds one state: anything after the CRC is refused
      Files.write(file, new byte[] {0}, java.nio.file.StandardOpenOption.APPEND);
      IOException e = assertThrows(IOException.class, () -> ModelState.load(file));
      assertTrue(e.getMessage().contains("bytes after"), e.getMessage());
      assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
    }
  }

  private byte[] savedBytes() throws IOException {
    try (Network net = network(SPEC, config("mcs"))) {
      train(net, new StepUpdate(net, SGD), 0, 2);
      return bytes(ModelState.capture(net));
    }
  }

  @Test
  void everyFlippedByteIsRejected() throws IOException {
    byte[] good = savedBytes();
    read(good); // the baseline reads
    for (int i = 0; i < good.length; i++) {
      byte[] bad = good.clone();
      bad[i] ^= 0x5A;
      final int at = i;
      IOException e = assertThrows(IOException.class, () -> read(bad), "flipped byte " + at);
      assertFalse(e.getMessage().isEmpty());
    }
    byte[] bad = good.clone();
    bad[40] ^= 1; // inside the payload: only the CRC can tell
    IOException e = assertThrows(IOException.class, () -> read(bad));
    assertTrue(e.getMessage().contains("CRC32 mismatch"), e.getMessage());
  }

  @Test
  void everyTruncationIsRejected() throws IOException {
    byte[] good = savedBytes();
    for (int n = 0; n < good.length; n++) {
      byte[] cut = Arrays.copyOf(good, n);
      IOException e = assertThrows(IOException.class, () -> read(cut), n + " bytes");
      assertTrue(e.getMessage().contains("truncated"), n + " bytes: " + e.getMessage());
    }
  }

  @Test
  void wrongMagicAndFutureVersionAreRejected() throws IOException {
    byte[] good = savedBytes();
    assertEquals("SI8M", new String(good, 0, 4, java.nio.charset.StandardCharsets.US_ASCII));
    byte[] magic = good.clone();
    magic[3] = 'X';
    IOException e = assertThrows(IOException.class, () -> read(magic));
    assertTrue(e.getMessage().contains("magic 0x5349385"), e.getMessage());
    assertEquals(2, good[4], "a state with ShiftQuant groups is written in version 2");
    byte[] future = good.clone();
    future[4] = 3;
    e = assertThrows(IOException.class, () -> read(future));
    assertTrue(e.getMessage().contains("version 3 is not supported"), e.getMessage());
  }

  /** A payload edited and sealed again with a valid length and CRC: only parsing can refuse it. */
  static byte[] reseal(byte[] good, byte[] payload) {
    ByteBuffer b = ByteBuffer.allocate(16 + payload.length + 4).order(ByteOrder.LITTLE_ENDIAN);
    b.put(good, 0, 8).putLong(payload.length).put(payload);
    CRC32 crc = new CRC32();
    crc.update(b.array(), 0, 16 + payload.length);
    b.putInt((int) crc.getValue());
    return b.array();
  }

  static byte[] payload(byte[] good) {
    return Arrays.copyOfRange(good, 16, good.length - 4);
  }

  @Test
  void corruptLengthsInsideAValidFileFailWithoutHugeAllocations() throws IOException {
    byte[] good = savedBytes();
    assertEquals(read(good), read(reseal(good, payload(good))),
        "resealing an unchanged payload gives the same state");
    byte[] p = payload(good);
    ByteBuffer.wrap(p).order(ByteOrder.LITTLE_ENDIAN).putInt(0, Integer.MAX_VALUE);
    IOException e = assertThrows(IOException.class, () -> read(reseal(good, p)));
    assertTrue(e.getMessage().contains("spec length 2147483647"), e.getMessage());

    byte[] longer = Arrays.copyOf(payload(good), payload(good).length + 3);
    e = assertThrows(IOException.class, () -> read(reseal(good, longer)));
    assertTrue(e.getMessage().contains("3 bytes left"), e.getMessage());

    // a header length far beyond the data ends as truncation, not as a 2 GiB buffer
    byte[] huge = good.clone();
    ByteBuffer.wrap(huge).order(ByteOrder.LITTLE_ENDIAN).putLong(8, Integer.MAX_VALUE - 100);
    e = assertThrows(IOException.class, () -> read(huge));
    assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    ByteBuffer.wrap(huge).order(ByteOrder.LITTLE_ENDIAN).putLong(8, -5);
    e = assertThrows(IOException.class, () -> read(huge));
    assertTrue(e.getMessage().contains("payload length -5"), e.getMessage());
  }

  @Test
  void mismatchedNetworksAreRejectedAndLeftUnchanged() {
    EngineConfig cfg = config("dsgc");
    ModelState state;
    try (Network trained = network(SPEC, cfg)) {
      train(trained, new StepUpdate(trained, SGD), 0, 2);
      state = ModelState.capture(trained);
    }
    try (Network other = network("conv(8,3)-bn-relu-maxpool(2)-fc", cfg)) {
      float[][] before = other.weights();
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> state.apply(other));
      assertTrue(e.getMessage().contains("conv(8,3") && e.getMessage().contains("conv(4,3"),
          e.getMessage());
      assertTrue(Arrays.deepEquals(before, other.weights()), "weights untouched");
    }
    try (Network reseeded = network(SPEC, cfg.withSeed(SEED + 1))) {
      float[][] before = reseeded.weights();
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> state.apply(reseeded));
      assertTrue(e.getMessage().contains("seed " + SEED + " in the model state, " + (SEED + 1)),
          e.getMessage());
      assertTrue(Arrays.deepEquals(before, reseeded.weights()), "weights untouched");
    }
    try (Network mcs = network(SPEC, cfg.withClipping(ClippingKind.MCS))) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> state.apply(mcs));
      assertTrue(e.getMessage().contains("clipping dsgc in the model state, mcs"), e.getMessage());
    }
    LayerContext ctx = new LayerContext(Backends.get(), alloc, cfg);
    try (Network wide = Network.build(NetworkSpec.parse(SPEC, CLASSES), Shape.chw(1, 10, 10),
        BATCH, ctx)) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> state.apply(wide));
      assertTrue(e.getMessage().contains("1x8x8"), e.getMessage());
    }
  }

  @Test
  void theFormatCoversEveryEngineSetting() {
    // a new EngineConfig component must be written too, in a new format version
    assertEquals(11, EngineConfig.class.getRecordComponents().length,
        "EngineConfig changed: extend ModelStateCodec and bump ModelState.FORMAT_VERSION");
  }
}
