package io.sparkint8.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import org.junit.jupiter.api.Test;

/**
 * Hand-computed SGD steps. Every value is a short binary fraction, so float arithmetic is exact and
 * the expected weights are compared bit for bit.
 */
class SgdOptimizerTest {
  // μ = 0.5, wd = 0.25, lr = 0.5; w0 = (1, -2, 4), g1 = (0.5, 1, -2), g2 = (1, 0, 0.5).
  private static final OptimizerConfig CONFIG =
      OptimizerConfig.defaults(OptimizerKind.SGD).withMomentum(0.5).withWeightDecay(0.25);

  @Test
  void momentumWithWeightDecayFirstTwoSteps() {
    Optimizer opt = Optimizers.create(CONFIG);
    Parameter p = Parameter.weight("w", new float[] {1, -2, 4});
    // d1 = g1 + 0.25·w0 = (0.75, 0.5, -1); v1 = d1; w1 = w0 - 0.5·v1 = (0.625, -2.25, 4.5)
    Steps.step(opt, p, 0.5, 0.5f, 1f, -2f);
    assertArrayEquals(new float[] {0.625f, -2.25f, 4.5f}, p.values());
    // d2 = g2 + 0.25·w1 = (1.15625, -0.5625, 1.625)
    // v2 = 0.5·v1 + d2 = (0.375 + 1.15625, 0.25 - 0.5625, -0.5 + 1.625) = (1.53125, -0.3125, 1.125)
    // w2 = w1 - 0.5·v2 = (0.625 - 0.765625, -2.25 + 0.15625, 4.5 - 0.5625)
    Steps.step(opt, p, 0.5, 1f, 0f, 0.5f);
    assertArrayEquals(new float[] {-0.140625f, -2.09375f, 3.9375f}, p.values());
  }

  @Test
  void nesterovFirstTwoSteps() {
    Optimizer opt = Optimizers.create(CONFIG.withNesterov(true));
    Parameter p = Parameter.weight("w", new float[] {1, -2, 4});
    // d1 = (0.75, 0.5, -1); v1 = d1; u1 = d1 + 0.5·v1 = (1.125, 0.75, -1.5)
    // w1 = w0 - 0.5·u1 = (0.4375, -2.375, 4.75)
    Steps.step(opt, p, 0.5, 0.5f, 1f, -2f);
    assertArrayEquals(new float[] {0.4375f, -2.375f, 4.75f}, p.values());
    // d2 = g2 + 0.25·w1 = (1.109375, -0.59375, 1.6875)
    // v2 = 0.5·v1 + d2 = (1.484375, -0.34375, 1.1875)
    // u2 = d2 + 0.5·v2 = (1.8515625, -0.765625, 2.28125)
    // w2 = w1 - 0.5·u2 = (0.4375 - 0.92578125, -2.375 + 0.3828125, 4.75 - 1.140625)
    Steps.step(opt, p, 0.5, 1f, 0f, 0.5f);
    assertArrayEquals(new float[] {-0.48828125f, -1.9921875f, 3.609375f}, p.values());
  }

  @Test
  void noDecayParameterGetsNoWeightDecay() {
    Optimizer opt = Optimizers.create(CONFIG);
    Parameter p = Parameter.noDecay("bn.gamma", new float[] {1, -2, 4});
    // d1 = g1 (no 0.25·w); w1 = w0 - 0.5·g1 = (0.75, -2.5, 5)
    Steps.step(opt, p, 0.5, 0.5f, 1f, -2f);
    assertArrayEquals(new float[] {0.75f, -2.5f, 5f}, p.values());
  }

  @Test
  void lrFactorScalesTheStep() {
    Optimizer opt = Optimizers.create(CONFIG);
    Parameter p = Parameter.weight("w", new float[] {1, -2, 4});
    p.setLrFactor(0.5);
    // step size 0.5·0.5 = 0.25; w1 = w0 - 0.25·(0.75, 0.5, -1) = (0.8125, -2.125, 4.25)
    Steps.step(opt, p, 0.5, 0.5f, 1f, -2f);
    assertArrayEquals(new float[] {0.8125f, -2.125f, 4.25f}, p.values());
  }
}
