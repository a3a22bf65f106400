package io.sparkint8.optim;

import java.util.List;

/**
 * SGD with momentum μ (PyTorch's form: the learning rate outside the velocity), per element in
 * float:
 *
 * <pre>
 *   d = g + wd·w                  (wd only where {@link Parameter#decay()} is true)
 *   v = μ·v + d
 *   w = w − lr·φ·v                (Nesterov: w = w − lr·φ·(d + μ·v), with the new v)
 * </pre>
 *
 * where φ is the parameter's LR factor and lr·φ is rounded to float once per parameter. v starts at
 * 0, so the first step is w − lr·φ·d (Nesterov: w − lr·φ·(1 + μ)·d).
 */
final class SgdOptimizer extends AbstractOptimizer {
  private final float mu;
  private final float wd;
  private final boolean nesterov;

  SgdOptimizer(OptimizerConfig config) {
    super(config, List.of("momentum"));
    this.mu = (float) config.momentum();
    this.wd = (float) config.weightDecay();
    this.nesterov = config.nesterov();
  }

  @Override
  void update(Parameter p, double lrTimesFactor, long t) {
    MomentumUpdate.apply(p.values(), p.grad(), buffer("momentum", p), mu, p.decay() ? wd : 0f, 1f,
        nesterov, (float) lrTimesFactor);
  }
}
