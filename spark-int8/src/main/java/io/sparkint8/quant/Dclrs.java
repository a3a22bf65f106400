package io.sparkint8.quant;

/**
 * Deviation Counteractive Learning Rate Scaling (Unified INT8): a layer whose quantized error
 * points away from the true one (deviation d = 1 - cos) learns more slowly, lr_layer = φ(d) · lr
 * with φ(d) = max(exp(-α·d), β). With the defaults α = 20, β = 0.1, φ(0) = 1 and φ reaches its
 * floor at d = ln(10)/20 ≈ 0.115. Switched off, φ is 1.
 *
 * <p>The deviation is DSGC's ({@link DsgcClipping}); the other clipping strategies measure none, so
 * a training config with fully quantized errors rejects DCLRS with them ({@code TrainingConfig}).
 * In a distributed fit the deviation is that of the whole batch's error, formed from the cosine
 * sums of every partition.
 *
 * @param enabled whether the factor applies
 * @param alpha decay rate, finite and > 0
 * @param beta floor, in (0, 1]
 */
public record Dclrs(boolean enabled, double alpha, double beta) {
  public static final double DEFAULT_ALPHA = 20.0;
  public static final double DEFAULT_BETA = 0.1;

  public Dclrs {
    if (!(alpha > 0) || !Double.isFinite(alpha)) {
      throw new IllegalArgumentException("dclrs: alpha=" + alpha + ", expected finite and > 0");
    }
    if (!(beta > 0 && beta <= 1)) {
      throw new IllegalArgumentException("dclrs: beta=" + beta + ", expected 0 < beta <= 1");
    }
  }

  /** On, α = 20, β = 0.1. */
  public static Dclrs defaults() {
    return new Dclrs(true, DEFAULT_ALPHA, DEFAULT_BETA);
  }

  public static Dclrs off() {
    return new Dclrs(false, DEFAULT_ALPHA, DEFAULT_BETA);
  }

  /**
   * φ(d). An unknown deviation (NaN, e.g. from a strategy that does not measure it) leaves the rate
   * unchanged, and d is taken as at least 0 so float rounding of a perfect cosine never raises it.
   */
  public double factor(double deviation) {
    if (!enabled || Double.isNaN(deviation)) {
      return 1.0;
    }
    return Math.max(Math.exp(-alpha * Math.max(deviation, 0.0)), beta);
  }

  /** φ of the stats' deviation (1 when unknown). */
  public double factor(ClipStats stats) {
    return factor(stats.deviation());
  }

  /** The deviation at which φ reaches its floor, ln(1/β)/α. */
  public double floorDeviation() {
    return Math.log(1.0 / beta) / alpha;
  }
}
