package io.sparkint8.kernels.spi;

/**
 * Rounding of quantized values: to the nearest code (ties to even), or stochastic (unbiased, driven by a
 * counter-based generator keyed by seed, stream and element index, so that no result depends on threads
 * or call order; every backend draws the same numbers).
 */
public enum Rounding {
  NEAREST,
  STOCHASTIC;

  public int code() {
    return ordinal();
  }
}
