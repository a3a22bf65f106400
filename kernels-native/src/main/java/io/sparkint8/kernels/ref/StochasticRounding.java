package io.sparkint8.kernels.ref;

/**
 * The counter-based uniform draws behind stochastic rounding. A draw depends only on (seed, stream,
 * element index), never on threads or call order, so a retried Spark task reproduces its codes exactly.
 * The native kernels implement the same function (int8k.h).
 */
public final class StochasticRounding {
  private StochasticRounding() {}

  static long splitmix64(long z) {
    z += 0x9E3779B97F4A7C15L;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  static int fmix32(int h) {
    h ^= h >>> 16;
    h *= 0x85EBCA6B;
    h ^= h >>> 13;
    h *= 0xC2B2AE35;
    h ^= h >>> 16;
    return h;
  }

  /** The key of a (seed, stream) pair; compute it once per tensor. */
  public static long key(long seed, long stream) {
    return splitmix64(seed ^ splitmix64(stream));
  }

  /** The draw in [0, 1) for element {@code index} under {@code key}, a multiple of 2^-24. */
  public static float uniform(long key, long index) {
    int h = fmix32((int) index ^ (int) key);
    h = fmix32(h ^ (int) (key >>> 32) ^ (int) (index >>> 32));
    return (float) (h >>> 8) * 0x1p-24f;
  }
}
