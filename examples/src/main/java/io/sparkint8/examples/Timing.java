package io.sparkint8.examples;

import java.util.Arrays;

/**
 * Median-of-runs timing. A run repeats the operation enough times to last about {@code minRunSeconds},
 * so short calls are not dominated by timer resolution; the first calls warm up the JIT and caches.
 */
final class Timing {
  private Timing() {}

  /** Median seconds per call over {@code runs} runs. */
  static double medianSeconds(Runnable op, int runs, double minRunSeconds) {
    op.run();
    long t0 = System.nanoTime();
    op.run();
    double once = Math.max(1e-7, (System.nanoTime() - t0) * 1e-9);
    int reps = (int) Math.max(1, Math.min(1_000_000, Math.ceil(minRunSeconds / once)));
    double[] perCall = new double[runs];
    for (int r = 0; r < runs; r++) {
      long s = System.nanoTime();
      for (int i = 0; i < reps; i++) {
        op.run();
      }
      perCall[r] = (System.nanoTime() - s) * 1e-9 / reps;
    }
    return median(perCall);
  }

  /** Fastest of {@code calls} single calls, after one warm-up call (the anchor tool's statistic). */
  static double bestSeconds(Runnable op, int calls) {
    op.run();
    double best = Double.MAX_VALUE;
    for (int i = 0; i < calls; i++) {
      long s = System.nanoTime();
      op.run();
      best = Math.min(best, (System.nanoTime() - s) * 1e-9);
    }
    return best;
  }

  static double median(double[] values) {
    double[] v = values.clone();
    Arrays.sort(v);
    int n = v.length;
    return n % 2 == 1 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
  }
}
