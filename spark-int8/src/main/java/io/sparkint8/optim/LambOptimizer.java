package io.sparkint8.optim;

import java.util.List;

/**
 * LAMB (You et al. 2020): the AdamW direction, rescaled per parameter so the step is a fixed
 * fraction of the weight norm. Per parameter, with w the weights before the step:
 *
 * <pre>
 *   u = m̂/(√v̂ + ε) + wd·w            (float, moments of g; {@link AdamMoments} gives the order)
 *   r = ‖w‖ / ‖u‖                      (double; 1 when either norm is 0)
 *   w = w − (lr·φ·r)·u                 (lr·φ·r in double, rounded to float once)
 * </pre>
 *
 * Parameters with decay false (biases, BatchNorm) take no weight decay and r = 1, i.e. plain Adam.
 * The directions are kept in a scratch buffer reused across steps (not part of the state).
 */
final class LambOptimizer extends AbstractOptimizer {
  private final AdamMoments moments;
  private final float wd;
  private float[] scratch = new float[0];

  LambOptimizer(OptimizerConfig config) {
    super(config, List.of("m", "v"));
    this.moments = new AdamMoments(config);
    this.wd = (float) config.weightDecay();
  }

  @Override
  void update(Parameter p, double lrTimesFactor, long t) {
    float[] w = p.values();
    float[] g = p.grad();
    float[] m = buffer("m", p);
    float[] v = buffer("v", p);
    int n = w.length;
    if (scratch.length < n) {
      scratch = new float[n];
    }
    float[] u = scratch;
    float bc1 = moments.correction1(t);
    float bc2 = moments.correction2(t);
    boolean decay = p.decay() && wd != 0f;
    for (int i = 0; i < n; i++) {
      float ui = moments.direction(m, v, i, g[i], bc1, bc2);
      u[i] = decay ? ui + wd * w[i] : ui;
    }
    double ratio = p.decay() ? trustRatio(Norms.l2(w), Norms.l2(u, n)) : 1.0;
    float s = (float) (lrTimesFactor * ratio);
    for (int i = 0; i < n; i++) {
      w[i] = w[i] - s * u[i];
    }
  }

  /** ‖w‖/‖u‖, or 1 when either is 0 (a fresh zero layer, or nothing to move). */
  static double trustRatio(double wNorm, double uNorm) {
    return wNorm == 0.0 || uNorm == 0.0 ? 1.0 : wNorm / uNorm;
  }
}
