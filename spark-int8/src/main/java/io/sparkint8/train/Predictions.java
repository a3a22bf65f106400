package io.sparkint8.train;

import java.nio.FloatBuffer;

/** Turning logits into predictions: argmax (first maximum wins) and a stable softmax. */
public final class Predictions {
  private Predictions() {}

  /** The index of the largest of z[offset, offset + n); ties go to the lowest index. */
  public static int argmax(FloatBuffer z, int offset, int n) {
    int arg = 0;
    for (int j = 1; j < n; j++) {
      if (z.get(offset + j) > z.get(offset + arg)) {
        arg = j;
      }
    }
    return arg;
  }

  /** softmax(z) in double, shifted by the maximum so large logits do not overflow. */
  public static double[] softmax(double[] z) {
    double max = Double.NEGATIVE_INFINITY;
    for (double v : z) {
      max = Math.max(max, v);
    }
    double[] p = new double[z.length];
    double sum = 0;
    for (int i = 0; i < z.length; i++) {
      p[i] = Math.exp(z[i] - max);
      sum += p[i];
    }
    for (int i = 0; i < p.length; i++) {
      p[i] /= sum;
    }
    return p;
  }
}
