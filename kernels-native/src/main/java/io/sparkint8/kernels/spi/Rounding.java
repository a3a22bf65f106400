package io.sparkint8.kernels.spi;

import io.sparkint8.kernels.ref.StochasticRounding;

/**
 * Rounding of quantized values: to the nearest code (ties to even), or stochastic (unbiased, driven by a
 * counter-based generator keyed by seed, stream and element index; see {@link StochasticRounding}).
 */
public enum Rounding {
  NEAREST,
  STOCHASTIC;

  public int code() {
    return ordinal();
  }
}
