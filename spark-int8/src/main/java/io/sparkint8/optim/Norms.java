package io.sparkint8.optim;

/** L2 norms for trust ratios: double accumulation in index order, so the result is reproducible. */
final class Norms {
  private Norms() {}

  static double l2(float[] x) {
    return l2(x, x.length);
  }

  /** The norm of the first {@code n} elements. */
  static double l2(float[] x, int n) {
    double sum = 0.0;
    for (int i = 0; i < n; i++) {
      double v = x[i];
      sum += v * v;
    }
    return Math.sqrt(sum);
  }
}
