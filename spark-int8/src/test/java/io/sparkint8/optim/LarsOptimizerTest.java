package io.sparkint8.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Hand-computed LARS steps and trust ratios. */
class LarsOptimizerTest {

  @Test
  void firstTwoStepsWithTrustRatio() {
    // η = 0.5 (large, so the steps are big enough to check), wd = 0.5, μ = 0.5, lr = 0.5
    OptimizerConfig config = OptimizerConfig.defaults("lars").withEta(0.5).withWeightDecay(0.5)
        .withMomentum(0.5);
    Optimizer opt = Optimizers.create(config);
    Parameter p = Parameter.weight("w", new float[] {3, 0, 4});
    // ‖w0‖ = 5, g1 = (0.6, 0.8, 0), ‖g1‖ = 1; local1 = 0.5·5/(1 + 0.5·5) = 5/7
    // d1 = 5/7·(g1 + 0.5·w0) = 5/7·(2.1, 0.8, 2); v1 = d1; w1 = w0 - 0.5·v1
    double local1 = 0.5 * 5 / (1 + 0.5 * 5);
    double[] v1 = {local1 * 2.1, local1 * 0.8, local1 * 2.0};
    double[] w1 = {3 - 0.5 * v1[0], 0 - 0.5 * v1[1], 4 - 0.5 * v1[2]};
    Steps.step(opt, p, 0.5, 0.6f, 0.8f, 0f);
    Steps.assertClose(new double[] {2.25, -2.0 / 7, 4 - 5.0 / 7}, p.values(), 1e-6);
    Steps.assertClose(w1, p.values(), 1e-6);
    // g2 = (0, 2, 0), ‖g2‖ = 2; local2 = 0.5·‖w1‖/(2 + 0.5·‖w1‖)
    // d2 = local2·(g2 + 0.5·w1); v2 = 0.5·v1 + d2; w2 = w1 - 0.5·v2
    double wn = Steps.norm(w1);
    double local2 = 0.5 * wn / (2 + 0.5 * wn);
    double[] w2 = new double[3];
    double[] g2 = {0, 2, 0};
    for (int i = 0; i < 3; i++) {
      double v2 = 0.5 * v1[i] + local2 * (g2[i] + 0.5 * w1[i]);
      w2[i] = w1[i] - 0.5 * v2;
    }
    Steps.step(opt, p, 0.5, 0f, 2f, 0f);
    Steps.assertClose(w2, p.values(), 1e-6);
  }

  @Test
  void defaultEtaIsOneThousandth() {
    Optimizer opt = Optimizers.create("lars");
    Parameter p = Parameter.weight("w", new float[] {3, 0, 4});
    // wd = 0: local = 0.001·5/2 = 0.0025; w1 = w0 - 1·0.0025·(0, 0, 2) = (3, 0, 3.995)
    Steps.step(opt, p, 1.0, 0f, 0f, 2f);
    Steps.assertClose(new double[] {3, 0, 3.995}, p.values(), 1e-6);
  }

  @Test
  void zeroNormsUseLocalRateOne() {
    OptimizerConfig config = OptimizerConfig.defaults("lars").withWeightDecay(0.5);
    // ‖w‖ = 0: local = 1, d = g + 0.5·0 = g; w1 = 0 - 0.5·(1, 2, -4)
    Optimizer opt = Optimizers.create(config);
    Parameter zeroW = Parameter.weight("zero", new float[3]);
    Steps.step(opt, zeroW, 0.5, 1f, 2f, -4f);
    assertArrayEquals(new float[] {-0.5f, -1f, 2f}, zeroW.values());
    // ‖g‖ = 0: local = 1, d = 0.5·w; w1 = w - 0.5·0.5·w = 0.75·w
    Optimizer opt2 = Optimizers.create(config);
    Parameter zeroG = Parameter.weight("w", new float[] {4, -8, 2});
    Steps.step(opt2, zeroG, 0.5, 0f, 0f, 0f);
    assertArrayEquals(new float[] {3f, -6f, 1.5f}, zeroG.values());
  }

  @Test
  void noDecayParameterTakesPlainMomentumSgd() {
    OptimizerConfig lars = OptimizerConfig.defaults("lars").withWeightDecay(0.25).withMomentum(0.5);
    OptimizerConfig sgd = OptimizerConfig.defaults("sgd").withWeightDecay(0.25).withMomentum(0.5);
    Optimizer a = Optimizers.create(lars);
    Optimizer b = Optimizers.create(sgd);
    Parameter pa = Parameter.noDecay("bias", new float[] {1, -2, 4});
    Parameter pb = Parameter.noDecay("bias", new float[] {1, -2, 4});
    for (float[] g : new float[][] {{0.5f, 1f, -2f}, {1f, 0f, 0.5f}}) {
      Steps.step(a, pa, 0.5, g);
      Steps.step(b, pb, 0.5, g);
    }
    // No trust ratio (η·‖w‖/‖g‖ would be ~0.002) and no decay: w1 = w0 - 0.5·g1 = (0.75, -2.5, 5),
    // v2 = 0.5·g1 + g2 = (1.25, 0.5, -0.5), w2 = w1 - 0.5·v2 = (0.125, -2.75, 5.25)
    assertArrayEquals(new float[] {0.125f, -2.75f, 5.25f}, pa.values());
    assertArrayEquals(pb.values(), pa.values());
  }

  @Test
  void localRateFormula() {
    LarsOptimizer opt = new LarsOptimizer(OptimizerConfig.defaults("lars").withWeightDecay(0.1));
    assertEquals(0.001 * 5 / (2 + 0.1 * 5), opt.localRate(5, 2), 1e-18);
    assertEquals(1.0, opt.localRate(0, 2));
    assertEquals(1.0, opt.localRate(5, 0));
  }
}
