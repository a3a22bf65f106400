package io.sparkint8.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** What every optimizer promises: checkpoint round trip, LR factor, decay flag, argument checks. */
class OptimizerContractTest {
  private static final float[] G1_W = {0.5f, -1f, 2f};
  private static final float[] G1_B = {0.25f, -0.5f};
  private static final float[] G2_W = {-0.75f, 0.5f, 1f};
  private static final float[] G2_B = {1f, 0.125f};

  private static OptimizerConfig config(OptimizerKind kind) {
    // Non-zero decay and momentum everywhere, so the state and the decay flag both matter.
    return OptimizerConfig.defaults(kind).withWeightDecay(0.1).withEta(0.1).withMomentum(0.5);
  }

  private static List<Parameter> model() {
    return List.of(
        new Parameter("conv1/weight", new float[] {1f, -2f, 0.5f}, new float[3], true),
        new Parameter("bn1/gamma", new float[] {1f, 0.75f}, new float[2], false));
  }

  private static List<Parameter> copy(List<Parameter> params) {
    return params.stream()
        .map(p -> new Parameter(p.name(), p.values().clone(), new float[p.size()], p.decay()))
        .toList();
  }

  private static void step(Optimizer opt, List<Parameter> params, float[] gw, float[] gb) {
    System.arraycopy(gw, 0, params.get(0).grad(), 0, gw.length);
    System.arraycopy(gb, 0, params.get(1).grad(), 0, gb.length);
    opt.step(params, 0.05);
  }

  @ParameterizedTest
  @EnumSource(OptimizerKind.class)
  void stateRoundTripContinuesBitForBit(OptimizerKind kind) {
    Optimizer uninterrupted = Optimizers.create(config(kind));
    List<Parameter> a = model();
    step(uninterrupted, a, G1_W, G1_B);
    OptimizerState saved = uninterrupted.state();
    List<Parameter> resumedParams = copy(a);
    List<Parameter> coldParams = copy(a);
    step(uninterrupted, a, G2_W, G2_B);

    Optimizer resumed = Optimizers.create(config(kind));
    resumed.restore(saved);
    step(resumed, resumedParams, G2_W, G2_B);
    for (int i = 0; i < a.size(); i++) {
      assertArrayEquals(a.get(i).values(), resumedParams.get(i).values(), a.get(i).name());
    }
    assertEquals(2, resumed.steps());
    assertEquals(1, saved.step());
    assertEquals(kind.label(), saved.optimizer());

    // The state matters: without it step 2 comes out different (lost momentum / bias correction).
    Optimizer cold = Optimizers.create(config(kind));
    step(cold, coldParams, G2_W, G2_B);
    assertFalse(java.util.Arrays.equals(a.get(0).values(), coldParams.get(0).values()));
  }

  @ParameterizedTest
  @EnumSource(OptimizerKind.class)
  void stateIsADeepCopyWithNamedBuffers(OptimizerKind kind) {
    Optimizer opt = Optimizers.create(config(kind));
    List<Parameter> params = model();
    step(opt, params, G1_W, G1_B);
    OptimizerState s = opt.state();
    Set<String> expected = kind == OptimizerKind.SGD || kind == OptimizerKind.LARS
        ? Set.of("momentum/conv1/weight", "momentum/bn1/gamma")
        : Set.of("m/conv1/weight", "m/bn1/gamma", "v/conv1/weight", "v/bn1/gamma");
    assertEquals(expected, s.keys());
    step(opt, params, G2_W, G2_B);
    assertEquals(1, s.step());
    assertFalse(s.equals(opt.state()), "the snapshot must not follow the optimizer");
    s.buffers().values().forEach(b -> b[0] = 42f);
    assertTrue(s.buffer(s.keys().iterator().next())[0] != 42f);
  }

  @ParameterizedTest
  @EnumSource(OptimizerKind.class)
  void lrFactorScalesTheFirstStep(OptimizerKind kind) {
    List<Parameter> full = model();
    List<Parameter> half = model();
    half.forEach(p -> p.setLrFactor(0.5));
    List<Parameter> frozen = model();
    frozen.forEach(p -> p.setLrFactor(0));
    step(Optimizers.create(config(kind)), full, G1_W, G1_B);
    step(Optimizers.create(config(kind)), half, G1_W, G1_B);
    step(Optimizers.create(config(kind)), frozen, G1_W, G1_B);
    List<Parameter> start = model();
    for (int i = 0; i < start.size(); i++) {
      float[] w0 = start.get(i).values();
      for (int j = 0; j < w0.length; j++) {
        double fullDelta = full.get(i).values()[j] - w0[j];
        double halfDelta = half.get(i).values()[j] - w0[j];
        assertTrue(Math.abs(fullDelta) > 1e-4, "the step must move the weight");
        assertEquals(fullDelta / 2, halfDelta, 1e-6, start.get(i).name() + "[" + j + "]");
      }
      assertArrayEquals(w0, frozen.get(i).values());
    }
  }

  @ParameterizedTest
  @EnumSource(OptimizerKind.class)
  void weightDecayNeverTouchesNoDecayParameters(OptimizerKind kind) {
    List<Parameter> decayed = model();
    List<Parameter> undecayed = model();
    Optimizer withDecay = Optimizers.create(config(kind).withWeightDecay(0.5));
    Optimizer without = Optimizers.create(config(kind).withWeightDecay(0));
    for (int s = 0; s < 2; s++) {
      step(withDecay, decayed, G1_W, G1_B);
      step(without, undecayed, G1_W, G1_B);
    }
    assertArrayEquals(undecayed.get(1).values(), decayed.get(1).values(), "bn1/gamma");
    assertFalse(java.util.Arrays.equals(undecayed.get(0).values(), decayed.get(0).values()),
        "conv1/weight (decay=true) must feel the weight decay");
  }

  @ParameterizedTest
  @EnumSource(OptimizerKind.class)
  void badCallsChangeNothing(OptimizerKind kind) {
    Optimizer opt = Optimizers.create(config(kind));
    List<Parameter> params = model();
    step(opt, params, G1_W, G1_B);
    float[] before = params.get(0).values().clone();

    IllegalArgumentException lr =
        assertThrows(IllegalArgumentException.class, () -> opt.step(params, -0.1));
    assertTrue(lr.getMessage().contains("lr=-0.1"), lr.getMessage());
    Parameter dup = new Parameter("conv1/weight", new float[3], new float[3], true);
    IllegalArgumentException dupError = assertThrows(IllegalArgumentException.class,
        () -> opt.step(List.of(params.get(0), dup), 0.1));
    assertTrue(dupError.getMessage().contains("conv1/weight"), dupError.getMessage());
    Parameter resized = new Parameter("bn1/gamma", new float[5], new float[5], false);
    IllegalArgumentException size = assertThrows(IllegalArgumentException.class,
        () -> opt.step(List.of(params.get(0), resized), 0.1));
    assertTrue(size.getMessage().contains("size=5"), size.getMessage());

    assertArrayEquals(before, params.get(0).values());
    assertEquals(1, opt.steps());
  }

  @ParameterizedTest
  @EnumSource(OptimizerKind.class)
  void restoreRejectsAnotherOptimizersState(OptimizerKind kind) {
    OptimizerKind other = kind == OptimizerKind.SGD ? OptimizerKind.ADAM : OptimizerKind.SGD;
    OptimizerState foreign = Optimizers.create(other).state();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Optimizers.create(kind).restore(foreign));
    assertTrue(e.getMessage().contains("state.optimizer=" + other.label()), e.getMessage());
  }

  @ParameterizedTest
  @EnumSource(OptimizerKind.class)
  void sameInputsGiveSameBits(OptimizerKind kind) {
    List<Parameter> a = model();
    List<Parameter> b = model();
    Optimizer oa = Optimizers.create(config(kind));
    Optimizer ob = Optimizers.create(config(kind));
    for (int s = 0; s < 3; s++) {
      step(oa, a, s % 2 == 0 ? G1_W : G2_W, s % 2 == 0 ? G1_B : G2_B);
      step(ob, b, s % 2 == 0 ? G1_W : G2_W, s % 2 == 0 ? G1_B : G2_B);
    }
    assertArrayEquals(a.get(0).values(), b.get(0).values());
    assertArrayEquals(a.get(1).values(), b.get(1).values());
    assertEquals(oa.state(), ob.state());
  }
}
