package io.sparkint8.kernels;

import java.util.SplittableRandom;

/** Random test data with a bias toward awkward sizes and extreme values. */
public final class Cases {
  /** Sizes that break vector widths, unroll factors and tile edges. */
  public static final int[] AWKWARD = {1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128,
      129, 255};

  public final SplittableRandom rnd;
  public final long seed;

  public Cases(long seed) {
    this.seed = seed;
    this.rnd = new SplittableRandom(seed);
  }

  public int awkward(int max) {
    int v;
    do {
      v = AWKWARD[rnd.nextInt(AWKWARD.length)];
    } while (v > max);
    return v;
  }

  /** An awkward size most of the time, otherwise any size in [1, max]. */
  public int size(int max) {
    return rnd.nextInt(4) == 0 ? 1 + rnd.nextInt(max) : awkward(max);
  }

  /**
   * int8 values: uniform over [-128, 127], only the extremes, mostly small, or non-negative (post-ReLU
   * activations, which kernels may multiply on a faster exact path).
   */
  public byte[] int8(int n) {
    byte[] v = new byte[n];
    int mode = rnd.nextInt(6);
    for (int i = 0; i < n; i++) {
      switch (mode) {
        case 0:
          v[i] = (byte) (rnd.nextBoolean() ? 127 : -127);
          break;
        case 1:
          v[i] = (byte) (rnd.nextBoolean() ? -128 : 127);
          break;
        case 2:
          v[i] = (byte) (rnd.nextInt(7) - 3);
          break;
        case 3:
          v[i] = (byte) rnd.nextInt(128);
          break;
        default:
          v[i] = (byte) (rnd.nextInt(256) - 128);
      }
    }
    return v;
  }

  /** fp32 values: gaussian, heavy-tailed, exact ties of a quantization step, or with zero runs. */
  public float[] float32(int n) {
    float[] v = new float[n];
    int mode = rnd.nextInt(5);
    float scale = (float) Math.exp(rnd.nextDouble(-6, 4));
    for (int i = 0; i < n; i++) {
      double g = gaussian();
      switch (mode) {
        case 0: // Laplace-like heavy tail
          v[i] = (float) (scale * Math.log(rnd.nextDouble()) * (rnd.nextBoolean() ? 1 : -1));
          break;
        case 1: // multiples of half a step: ties for round-half-even
          v[i] = (rnd.nextInt(513) - 256) * 0.5f * scale;
          break;
        case 2:
          v[i] = rnd.nextInt(4) == 0 ? (float) (g * scale) : 0f;
          break;
        default:
          v[i] = (float) (g * scale);
      }
    }
    return v;
  }

  public double gaussian() {
    double u = rnd.nextDouble();
    double w = rnd.nextDouble();
    return Math.sqrt(-2 * Math.log(1 - u)) * Math.cos(2 * Math.PI * w);
  }

  public float[] positive(int n) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) Math.exp(rnd.nextDouble(-4, 2));
    }
    return v;
  }
}
