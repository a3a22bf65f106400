package io.sparkint8.optim;

import java.util.List;

/**
 * Adam (Kingma and Ba 2015) and AdamW (Loshchilov and Hutter 2019), bias-corrected, per element in
 * float ({@link AdamMoments} gives the exact order of the moment update):
 *
 * <pre>
 *   adam:   d = g + wd·w                 (L2 in the gradient; wd only where decay is true)
 *           u = m̂/(√v̂ + ε)              (moments of d)
 *   adamw:  d = g
 *           u = m̂/(√v̂ + ε) + wd·w       (decoupled decay, w before the step; decay params only)
 *   both:   w = w − lr·φ·u               (lr·φ rounded to float once per parameter)
 * </pre>
 *
 * On step 1 the bias correction makes m̂ = d and v̂ = d², so each element moves by about
 * lr·φ·sign(d).
 */
final class AdamOptimizer extends AbstractOptimizer {
  private final AdamMoments moments;
  private final float wd;
  private final boolean decoupled;

  AdamOptimizer(OptimizerConfig config) {
    super(config, List.of("m", "v"));
    this.moments = new AdamMoments(config);
    this.wd = (float) config.weightDecay();
    this.decoupled = config.kind() == OptimizerKind.ADAMW;
  }

  @Override
  void update(Parameter p, double lrTimesFactor, long t) {
    float[] w = p.values();
    float[] g = p.grad();
    float[] m = buffer("m", p);
    float[] v = buffer("v", p);
    float bc1 = moments.correction1(t);
    float bc2 = moments.correction2(t);
    float s = (float) lrTimesFactor;
    // Branch rather than add 0·w, which is NaN for an infinite weight.
    boolean decay = p.decay() && wd != 0f;
    for (int i = 0; i < w.length; i++) {
      float d = decay && !decoupled ? g[i] + wd * w[i] : g[i];
      float u = moments.direction(m, v, i, d, bc1, bc2);
      if (decay && decoupled) {
        u = u + wd * w[i];
      }
      w[i] = w[i] - s * u;
    }
  }
}
