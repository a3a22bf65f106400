package io.sparkint8.optim;

import java.util.List;

/** Small helpers for optimizer tests: one-parameter steps and norms for the hand arithmetic. */
final class Steps {
  private Steps() {}

  /** Sets the gradient of {@code p} to {@code g} and takes one step with {@code lr}. */
  static void step(Optimizer opt, Parameter p, double lr, float... g) {
    System.arraycopy(g, 0, p.grad(), 0, g.length);
    opt.step(List.of(p), lr);
  }

  static double norm(double... x) {
    double s = 0;
    for (double v : x) {
      s += v * v;
    }
    return Math.sqrt(s);
  }

  static void assertClose(double[] expected, float[] actual, double tol) {
    org.junit.jupiter.api.Assertions.assertEquals(expected.length, actual.length, "length");
    for (int i = 0; i < expected.length; i++) {
      org.junit.jupiter.api.Assertions.assertEquals(expected[i], actual[i], tol, "element " + i);
    }
  }
}
