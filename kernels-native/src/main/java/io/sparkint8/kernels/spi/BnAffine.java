package io.sparkint8.kernels.spi;

/**
 * The per-channel numbers of a batch-normalization pass: x is normalized as xhat = (x - mean) *
 * invScale and then mapped to gamma * xhat + beta, each operation in float. The backward kernels
 * recompute xhat (and the output, for a fused ReLU's mask) from x with these same numbers, bit for
 * bit what the forward computed, so no xhat buffer is kept between the passes. The arrays are
 * borrowed, not copied: a caller must not change them between a forward and its backward.
 */
public record BnAffine(float[] mean, float[] invScale, float[] gamma, float[] beta) {

  /** Checks that every array holds at least {@code channels} values (for {@code op}'s message). */
  void check(int channels, String op) {
    Checks.perChannel(mean, channels, "mean", op);
    Checks.perChannel(invScale, channels, "invScale", op);
    Checks.perChannel(gamma, channels, "gamma", op);
    Checks.perChannel(beta, channels, "beta", op);
  }
}
