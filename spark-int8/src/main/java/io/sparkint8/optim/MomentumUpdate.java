package io.sparkint8.optim;

/**
 * The heavy-ball update shared by SGD and LARS, in float, element by element in this order:
 *
 * <pre>
 *   d = g + wd·w            (only when the parameter decays and wd > 0; else d = g)
 *   d = local · d           (local = 1 for SGD, the LARS local rate otherwise)
 *   v = μ·v + d
 *   u = Nesterov ? d + μ·v : v
 *   w = w − s·u             (s = lr · factor, rounded to float once)
 * </pre>
 */
final class MomentumUpdate {
  private MomentumUpdate() {}

  static void apply(
      float[] w, float[] g, float[] v, float mu, float wd, float local, boolean nesterov, float s) {
    // Branch rather than add 0·w: 0·w is NaN for an infinite weight, and L2 must not invent NaNs.
    boolean decay = wd != 0f;
    for (int i = 0; i < w.length; i++) {
      float d = decay ? g[i] + wd * w[i] : g[i];
      d = local * d;
      v[i] = mu * v[i] + d;
      float u = nesterov ? d + mu * v[i] : v[i];
      w[i] = w[i] - s * u;
    }
  }
}
