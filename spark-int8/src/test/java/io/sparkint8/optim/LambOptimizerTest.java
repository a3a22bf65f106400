package io.sparkint8.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Hand-computed LAMB steps and trust ratios (β1 = 0.9, β2 = 0.999, ε = 1e-8). */
class LambOptimizerTest {
  private static final OptimizerConfig CONFIG =
      OptimizerConfig.defaults("lamb").withWeightDecay(0.25);

  @Test
  void firstTwoStepsWithTrustRatio() {
    Optimizer opt = Optimizers.create(CONFIG);
    Parameter p = Parameter.weight("w", new float[] {3, 0, 4});
    // Step 1, g1 = (1, -2, 0.5): m̂/(√v̂ + ε) = sign(g1); u1 = (1, -1, 1) + 0.25·(3, 0, 4)
    //   = (1.75, -1, 2); r1 = ‖w0‖/‖u1‖ = 5/√8.0625; w1 = w0 - 0.1·r1·u1
    double[] u1 = {1.75, -1, 2};
    double r1 = 5 / Steps.norm(u1);
    double[] w1 = {3 - 0.1 * r1 * u1[0], 0 - 0.1 * r1 * u1[1], 4 - 0.1 * r1 * u1[2]};
    Steps.step(opt, p, 0.1, 1f, -2f, 0.5f);
    Steps.assertClose(w1, p.values(), 1e-6);
    // Step 2, g2 = (0.5, 0.5, -1): m2 = 0.09·g1 + 0.1·g2, v2 = 0.000999·g1² + 0.001·g2²,
    //   u2 = (m2/0.19)/(√(v2/0.001999) + ε) + 0.25·w1; r2 = ‖w1‖/‖u2‖; w2 = w1 - 0.1·r2·u2
    double[] g1 = {1, -2, 0.5};
    double[] g2 = {0.5, 0.5, -1};
    double[] u2 = new double[3];
    for (int i = 0; i < 3; i++) {
      double m2 = 0.9 * 0.1 * g1[i] + 0.1 * g2[i];
      double v2 = 0.999 * 0.001 * g1[i] * g1[i] + 0.001 * g2[i] * g2[i];
      u2[i] = (m2 / 0.19) / (Math.sqrt(v2 / 0.001999) + 1e-8) + 0.25 * w1[i];
    }
    double r2 = Steps.norm(w1) / Steps.norm(u2);
    double[] w2 = new double[3];
    for (int i = 0; i < 3; i++) {
      w2[i] = w1[i] - 0.1 * r2 * u2[i];
    }
    Steps.step(opt, p, 0.1, 0.5f, 0.5f, -1f);
    Steps.assertClose(w2, p.values(), 1e-6);
  }

  @Test
  void zeroWeightsUseRatioOne() {
    Optimizer opt = Optimizers.create(CONFIG);
    Parameter p = Parameter.weight("w", new float[3]);
    // ‖w0‖ = 0: r = 1, u1 = sign(g1) + 0.25·0; w1 = -0.1·sign(g1)
    Steps.step(opt, p, 0.1, 1f, -2f, 0.5f);
    Steps.assertClose(new double[] {-0.1, 0.1, -0.1}, p.values(), 1e-6);
  }

  @Test
  void noDecayParameterIsPlainAdam() {
    Optimizer lamb = Optimizers.create(CONFIG);
    Optimizer adam = Optimizers.create("adam");
    Parameter a = Parameter.noDecay("bn.beta", new float[] {3, 0, 4});
    Parameter b = Parameter.noDecay("bn.beta", new float[] {3, 0, 4});
    for (float[] g : new float[][] {{1f, -2f, 0.5f}, {0.5f, 0.5f, -1f}}) {
      Steps.step(lamb, a, 0.1, g);
      Steps.step(adam, b, 0.1, g);
    }
    // No decay and no ratio (which would be 5/√3 ≈ 2.9 on step 1): exactly Adam's weights.
    assertArrayEquals(b.values(), a.values());
    // Element 0: w1 = 3 - 0.1·1 = 2.9; m2 = 0.09·1 + 0.1·0.5 = 0.14, v2 = 0.000999 + 0.001·0.25
    //   = 0.001249; w2 = 2.9 - 0.1·(0.14/0.19)/√(0.001249/0.001999)
    assertEquals(2.9 - 0.1 * (0.14 / 0.19) / Math.sqrt(0.001249 / 0.001999), a.values()[0], 1e-6);
  }

  @Test
  void trustRatioFormula() {
    assertEquals(2.5, LambOptimizer.trustRatio(5, 2));
    assertEquals(1.0, LambOptimizer.trustRatio(0, 2));
    assertEquals(1.0, LambOptimizer.trustRatio(5, 0));
  }
}
