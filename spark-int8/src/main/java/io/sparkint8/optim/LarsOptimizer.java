package io.sparkint8.optim;

import java.util.List;

/**
 * LARS (You, Gitman, Ginsburg 2017): momentum SGD whose gradient is scaled per parameter by a local
 * rate, so every layer moves by about the same fraction η of its norm.
 *
 * <p>For a parameter with {@link Parameter#decay()} true, from the weights before the step:
 *
 * <pre>
 *   local = η·‖w‖ / (‖g‖ + wd·‖w‖)   (double; 1 when ‖w‖ = 0 or ‖g‖ = 0; then rounded to float)
 *   d = local·(g + wd·w)
 *   v = μ·v + d
 *   w = w − lr·φ·v                   (Nesterov: w − lr·φ·(d + μ·v))
 * </pre>
 *
 * As in the paper's Algorithm 1 the local rate scales the gradient entering the velocity (the rate
 * of the step it was measured on), while lr·φ stays outside as in {@link SgdOptimizer}; on the
 * first step this equals momentum SGD with rate lr·φ·local. Parameters with decay false (biases,
 * BatchNorm) take the plain {@link SgdOptimizer} update, local = 1 and no weight decay. Norms
 * accumulate in double.
 */
final class LarsOptimizer extends AbstractOptimizer {
  private final float mu;
  private final double wd;
  private final double eta;
  private final boolean nesterov;

  LarsOptimizer(OptimizerConfig config) {
    super(config, List.of("momentum"));
    this.mu = (float) config.momentum();
    this.wd = config.weightDecay();
    this.eta = config.eta();
    this.nesterov = config.nesterov();
  }

  @Override
  void update(Parameter p, double lrTimesFactor, long t) {
    float s = (float) lrTimesFactor;
    float[] v = buffer("momentum", p);
    if (!p.decay()) {
      MomentumUpdate.apply(p.values(), p.grad(), v, mu, 0f, 1f, nesterov, s);
      return;
    }
    float local = (float) localRate(Norms.l2(p.values()), Norms.l2(p.grad()));
    MomentumUpdate.apply(p.values(), p.grad(), v, mu, (float) wd, local, nesterov, s);
  }

  /** η·‖w‖/(‖g‖ + wd·‖w‖), or 1 when either norm is 0 (a fresh zero layer or a dead gradient). */
  double localRate(double wNorm, double gNorm) {
    if (wNorm == 0.0 || gNorm == 0.0) {
      return 1.0;
    }
    return eta * wNorm / (gNorm + wd * wNorm);
  }
}
