package io.sparkint8.quant;

import java.util.SplittableRandom;

/** Seeded synthetic gradients: Gaussian, Laplace (with optional spikes), Student-t, uniform. */
final class Synthetic {
  private Synthetic() {}

  static double gaussian(SplittableRandom r) {
    // Box-Muller keeps the stream a pure function of the seed
    double u = 1.0 - r.nextDouble();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r.nextDouble());
  }

  static double laplace(SplittableRandom r, double b) {
    double u = r.nextDouble() - 0.5;
    return -b * Math.signum(u) * Math.log(1 - 2 * Math.abs(u));
  }

  static double studentT(SplittableRandom r, int dof) {
    double chi2 = 0;
    for (int i = 0; i < dof; i++) {
      double z = gaussian(r);
      chi2 += z * z;
    }
    return gaussian(r) / Math.sqrt(chi2 / dof);
  }

  static float[] gaussian(long seed, int n, double sigma) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] x = new float[n];
    for (int i = 0; i < n; i++) {
      x[i] = (float) (sigma * gaussian(r));
    }
    return x;
  }

  static float[] uniform(long seed, int n, double half) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] x = new float[n];
    for (int i = 0; i < n; i++) {
      x[i] = (float) (half * (2 * r.nextDouble() - 1));
    }
    return x;
  }

  /** Laplace(b) with probability {@code spikeRate} replaced by a spike of spikeMin..2*spikeMin. */
  static float[] laplaceWithSpikes(long seed, int n, double b, double spikeRate, double spikeMin) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] x = new float[n];
    for (int i = 0; i < n; i++) {
      double v = laplace(r, b);
      if (r.nextDouble() < spikeRate) {
        v = (r.nextBoolean() ? 1 : -1) * spikeMin * (1 + r.nextDouble());
      }
      x[i] = (float) v;
    }
    return x;
  }

  static float[] studentT(long seed, int n, int dof) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] x = new float[n];
    for (int i = 0; i < n; i++) {
      x[i] = (float) studentT(r, dof);
    }
    return x;
  }
}
