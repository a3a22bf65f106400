package io.sparkint8.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Hand-computed Adam and AdamW steps (β1 = 0.9, β2 = 0.999, ε = 1e-8). */
class AdamOptimizerTest {
  private static final double EPS = 1e-8;

  /** Bias-corrected direction after two steps with gradients (of the moments) d1 then d2. */
  private static double direction2(double d1, double d2) {
    double m2 = 0.9 * (0.1 * d1) + 0.1 * d2;
    double v2 = 0.999 * (0.001 * d1 * d1) + 0.001 * d2 * d2;
    double mHat = m2 / (1 - 0.9 * 0.9); // 0.19
    double vHat = v2 / (1 - 0.999 * 0.999); // 0.001999
    return mHat / (Math.sqrt(vHat) + EPS);
  }

  @Test
  void adamFirstTwoSteps() {
    Optimizer opt = Optimizers.create("adam");
    Parameter p = Parameter.weight("w", new float[] {1, -2, 0.5f});
    // Step 1: m̂ = g, v̂ = g², u = g/(|g| + ε) = (1, -1, 0) (0/ε = 0); w1 = w0 - 0.1·u
    Steps.step(opt, p, 0.1, 0.5f, -1f, 0f);
    Steps.assertClose(new double[] {0.9, -1.9, 0.5}, p.values(), 1e-6);
    // Step 2, g2 = (0.25, 1, 2): w2 = w1 - 0.1·direction2(g1, g2)
    Steps.step(opt, p, 0.1, 0.25f, 1f, 2f);
    double[] w2 = {
      0.9 - 0.1 * direction2(0.5, 0.25),
      -1.9 - 0.1 * direction2(-1, 1),
      0.5 - 0.1 * direction2(0, 2)
    };
    Steps.assertClose(w2, p.values(), 1e-6);
  }

  @Test
  void biasCorrectionMakesTheFirstStepSizeLr() {
    Optimizer opt = Optimizers.create("adam");
    float[] w0 = {1, -2, 0.5f};
    Parameter p = Parameter.weight("w", w0.clone());
    // Without correction the step would be lr·0.1·|g|/(√0.001·|g|) ≈ 3.16·lr whatever g.
    Steps.step(opt, p, 0.01, 0.5f, -3f, 1e-3f);
    for (int i = 0; i < 3; i++) {
      assertEquals(0.01, Math.abs(w0[i] - p.values()[i]), 1e-6, "element " + i);
    }
  }

  @Test
  void adamWeightDecayIsL2InTheGradient() {
    Optimizer opt = Optimizers.create(OptimizerConfig.defaults("adam").withWeightDecay(0.5));
    Parameter p = Parameter.weight("w", new float[] {1, -2, 0.5f});
    // d1 = g1 + 0.5·w0 = (1, -2, 0.25): u = sign(d1) = (1, -1, 1); w1 = w0 - 0.1·u
    Steps.step(opt, p, 0.1, 0.5f, -1f, 0f);
    Steps.assertClose(new double[] {0.9, -1.9, 0.4}, p.values(), 1e-6);
    // d2 = g2 + 0.5·w1 = (0.25 + 0.45, 1 - 0.95, 2 + 0.2)
    Steps.step(opt, p, 0.1, 0.25f, 1f, 2f);
    double[] w2 = {
      0.9 - 0.1 * direction2(1, 0.7),
      -1.9 - 0.1 * direction2(-2, 0.05),
      0.4 - 0.1 * direction2(0.25, 2.2)
    };
    Steps.assertClose(w2, p.values(), 1e-6);
  }

  @Test
  void adamwFirstTwoStepsWithDecoupledDecay() {
    Optimizer opt = Optimizers.create(OptimizerConfig.defaults("adamw").withWeightDecay(0.5));
    Parameter p = Parameter.weight("w", new float[] {1, -2, 0.5f});
    // u1 = sign(g1) + 0.5·w0 = (1 + 0.5, -1 - 1, 0 + 0.25); w1 = w0 - 0.1·u1
    Steps.step(opt, p, 0.1, 0.5f, -1f, 0f);
    Steps.assertClose(new double[] {0.85, -1.8, 0.475}, p.values(), 1e-6);
    // u2 = direction2(g1, g2) + 0.5·w1 (moments of the raw gradient)
    Steps.step(opt, p, 0.1, 0.25f, 1f, 2f);
    double[] w2 = {
      0.85 - 0.1 * (direction2(0.5, 0.25) + 0.5 * 0.85),
      -1.8 - 0.1 * (direction2(-1, 1) + 0.5 * -1.8),
      0.475 - 0.1 * (direction2(0, 2) + 0.5 * 0.475)
    };
    Steps.assertClose(w2, p.values(), 1e-6);
  }

  @Test
  void adamwDoesNotDecayNoDecayParameters() {
    Optimizer opt = Optimizers.create(OptimizerConfig.defaults("adamw").withWeightDecay(0.5));
    Parameter p = Parameter.noDecay("bias", new float[] {1, -2, 0.5f});
    // u1 = sign(g1) only; w1 = w0 - 0.1·(1, -1, 0)
    Steps.step(opt, p, 0.1, 0.5f, -1f, 0f);
    Steps.assertClose(new double[] {0.9, -1.9, 0.5}, p.values(), 1e-6);
  }
}
