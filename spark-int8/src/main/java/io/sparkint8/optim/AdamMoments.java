package io.sparkint8.optim;

/**
 * The bias-corrected Adam direction shared by Adam, AdamW and LAMB, in float, in this order:
 *
 * <pre>
 *   m = β1·m + (1−β1)·d
 *   v = β2·v + (1−β2)·(d·d)
 *   m̂ = m / (1 − β1^t)
 *   v̂ = v / (1 − β2^t)
 *   u = m̂ / (√v̂ + ε)
 * </pre>
 *
 * The constants (β1, 1−β1, β2, 1−β2, ε) are computed in double and rounded to float once; the bias
 * corrections 1 − β^t are computed in double with {@link StrictMath#pow} (reproducible on every
 * JVM) and rounded to float once per step.
 */
final class AdamMoments {
  private final float b1;
  private final float c1;
  private final float b2;
  private final float c2;
  private final float eps;
  private final double beta1;
  private final double beta2;

  AdamMoments(OptimizerConfig config) {
    this.beta1 = config.beta1();
    this.beta2 = config.beta2();
    this.b1 = (float) beta1;
    this.c1 = (float) (1.0 - beta1);
    this.b2 = (float) beta2;
    this.c2 = (float) (1.0 - beta2);
    this.eps = (float) config.eps();
  }

  float correction1(long t) {
    return (float) (1.0 - StrictMath.pow(beta1, t));
  }

  float correction2(long t) {
    return (float) (1.0 - StrictMath.pow(beta2, t));
  }

  /** Folds {@code d} into element {@code i} of the moments and returns the direction u. */
  float direction(float[] m, float[] v, int i, float d, float bc1, float bc2) {
    m[i] = b1 * m[i] + c1 * d;
    v[i] = b2 * v[i] + c2 * (d * d);
    float mHat = m[i] / bc1;
    float vHat = v[i] / bc2;
    return mHat / ((float) Math.sqrt(vHat) + eps);
  }
}
